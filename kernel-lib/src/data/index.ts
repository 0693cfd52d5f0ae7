/**
 * The data library: loaders and writers (our JSONL, cMedQA2, Alpaca,
 * ShareGPT, LLaMA-Factory's dataset_info.json), provenance and merging,
 * augmentation operators (EDA, question templates, entity swaps, model
 * paraphrase), quality filters and near-duplicate detection, deterministic
 * splits and the dataset card, human-in-the-loop review, and summary tables.
 * (`./html` stays internal: `escapeHtml`, `JUPYTER_DISPLAY` and `MimeBundle` are
 * exported by `display/`; the symbol is the same `Symbol.for('Jupyter.display')`.)
 */
export * from './issues';
export * from './qa-schema';
export * from './random';
export * from './provenance';
export * from './jsonl';
export * from './json-rows';
export * from './csv';
export * from './cmedqa2';
export * from './alpaca-sharegpt';
export * from './merge';
export * from './lexicon';
export * from './keywords';
export * from './language';
export * from './words';
export * from './minhash';
export * from './filters';
export * from './splits';
export * from './dataset-card';
export * from './summary-tables';
export * from './text-diff';
export * from './review-log';
export * from './review-view';
export * from './review-queue';
export * from './augment/operator';
export * from './augment/eda';
export * from './augment/templates';
export * from './augment/entity-swap';
export * from './augment/paraphrase';
