import './components/lp-app.ts';
import { watchForReloads } from './app/reload-notice.ts';

watchForReloads();
