import unicodeConfusables from 'unicode-confusables';
import { err, ok, type Result } from '../shared/result.ts';

/** Why a display name was refused. */
export type NameRefusal = 'empty' | 'invisible';

/**
 * Characters that draw nothing (or nothing a reader notices) and so let one name pass for
 * another: controls, format characters, default-ignorable code points (among them the Hangul
 * fillers, which are letters by category), line and paragraph separators, the blank braille
 * pattern. Two uses are kept: a zero width joiner between two pictographs (emoji sequences) and
 * an emoji or text variation selector.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800]/u;
const EMOJI_JOINER = /(?<=\p{Extended_Pictographic}\uFE0F?)\u200D(?=\p{Extended_Pictographic})/gu;
const VARIATION_SELECTOR = /(?<=\S)[\uFE0E\uFE0F]/gu;

/**
 * Cleans a display name: NFKC (full-width and styled letters become plain ones), white space
 * collapsed and trimmed, cut to `maxLength` characters. A name with an invisible character
 * anywhere is refused rather than cleaned: it was typed to look like something it is not.
 */
export function cleanName(raw: string, maxLength: number): Result<string, NameRefusal> {
  const spaced = raw.normalize('NFKC').replace(/\s+/gu, ' ').trim();
  const visible = spaced.replace(EMOJI_JOINER, '').replace(VARIATION_SELECTOR, '');
  if (INVISIBLE.test(visible)) return err('invisible');
  const name = Array.from(spaced).slice(0, maxLength).join('').trim();
  return name === '' ? err('empty') : ok(name);
}

/**
 * The UTS #39 skeleton of a name: two names with the same skeleton look alike ("Аlice" with a
 * Cyrillic А and "Alice"). The mapping is Unicode's confusables.txt, as packaged by
 * `unicode-confusables`.
 */
export function skeleton(name: string): string {
  return unicodeConfusables.rectifyConfusion(name.normalize('NFD')).normalize('NFD');
}

/** Whether two names could be taken for one another, with or without regard to case. */
export function confusable(a: string, b: string): boolean {
  return skeleton(a) === skeleton(b) || skeleton(a.toLowerCase()) === skeleton(b.toLowerCase());
}
