/** plotly.js-dist-min ships no types; we use a small, typed subset (see plotly.ts). */
declare module 'plotly.js-dist-min';
