import './components/lp-app.ts';
