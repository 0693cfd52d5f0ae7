/**
 * Sequence classification on a decoder under data limits (Le et al., "The
 * Impact of LoRA Adapters for LLMs on Clinical NLP Classification Under Data
 * Limitations"): the clinical-notes data set, pooled token states, the four
 * heads (Adapter, Lightweight, TinyAttention, GRN), a from-scratch transformer
 * baseline, classification metrics and the data-fraction sweep.
 *
 * @example
 * const { model, tokenizer } = await loadPretrained(tinyBasePath());
 * const tok = tokenizer!;
 * const encode = (split: 'train' | 'test') => encodeForClassification(tok,
 *   loadClinicalNotes(split).map((n) => ({ id: n.id, text: n.text, label: categoryIndex(n) })));
 * const [train, test] = [encode('train'), encode('test')];
 * const body = frozenDecoderBody(model, { padId: tok.padTokenId });
 * const clf = new SequenceClassifier(body, classificationHead('grn', { inputSize: 128, numClasses: 5 }), { padId: tok.padTokenId });
 * await trainSequenceClassifier(clf, train, { steps: 150, batchSize: 16, lr: 3e-3 });
 * classificationReport(test.map((e) => e.label), clf.predict(test), INJURY_CATEGORIES).macro.f1;
 */
export {
  CLINICAL_NOTE_KEYS, CLINICAL_NOTE_SPLITS, INJURY_CATEGORIES, INJURY_CATEGORY_DESCRIPTIONS, TRIAGE_LEVELS,
  categoryIndex, clinicalNotesPath, loadClinicalNotes, readClinicalNotes, validateClinicalNote,
  type ClinicalNote, type ClinicalNoteSplit, type InjuryCategory, type TriageLevel,
} from './clinical-notes';
export {
  CLINICAL_NOTES_SPLIT, buildClinicalNoteSplits, duplicateNoteIssues, formatClinicalNotesJsonl, parseNoteAuthoring, renderClinicalNotesCounts,
} from './clinical-notes-build';
export { stratifiedSplit, stratifiedSubsample, type SplitRatios } from './stratify';
export {
  classificationReport, confusionMatrix,
  type ClassScores, type ClassificationReport, type PrecisionRecallF1,
} from './classification-metrics';
export {
  encodeForClassification, makeTokenBatch, poolingMatrix,
  type ClassificationExample, type EncodeOptions, type PoolingMode, type TokenBatch,
} from './token-batch';
export {
  HEAD_KINDS, HEAD_NAMES, classificationHead,
  type ClassificationHead, type HeadInput, type HeadKind, type HeadOptions,
} from './heads';
export { decoderBody, frozenDecoderBody, type FrozenDecoderBody, type TokenBody } from './bodies';
export { TransformerEncoder, type TransformerEncoderConfig } from './text-encoder';
export {
  SequenceClassifier, trainSequenceClassifier,
  type ClassifierTrainOptions, type ClassifierTrainResult, type SequenceClassifierOptions,
} from './sequence-classifier';
export {
  classifierSweepMethod, dataFractionSweep,
  type SweepMethod, type SweepOptions, type SweepRow, type TrainedClassifier,
} from './sweep';
