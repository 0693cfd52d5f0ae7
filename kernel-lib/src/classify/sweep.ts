/**
 * The data-fraction sweep: train every method on seeded stratified subsets of
 * the training split (e.g. 10, 25, 50 and 100%) and score each on the same
 * test set. Subsets of one sweep are nested (10% inside 25% inside 50%), so a
 * larger fraction only adds examples.
 */
import { classificationReport } from './classification-metrics';
import type { ClassifierTrainOptions } from './sequence-classifier';
import { SequenceClassifier, trainSequenceClassifier } from './sequence-classifier';
import { stratifiedSubsample } from './stratify';
import type { ClassificationExample } from './token-batch';

/** A trained model as the sweep sees it. */
export interface TrainedClassifier {
  predict(examples: readonly ClassificationExample[]): number[];
  /** Trainable scalars it had. */
  trainableParams: number;
  dispose?(): void;
}

/** One method of a sweep: how to train it on a subset. */
export interface SweepMethod {
  name: string;
  train(subset: readonly ClassificationExample[]): TrainedClassifier | Promise<TrainedClassifier>;
}

/** One row of the sweep's result (precision, recall and F1 are macro averages). */
export interface SweepRow {
  head: string;
  fraction: number;
  trainSize: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** Wall-clock seconds of `train` (the sweep's timer). */
  trainSeconds: number;
  trainableParams: number;
}

/** Options of `dataFractionSweep`. */
export interface SweepOptions {
  train: readonly ClassificationExample[];
  test: readonly ClassificationExample[];
  methods: readonly SweepMethod[];
  /** Default [0.1, 0.25, 0.5, 1]. */
  fractions?: readonly number[];
  /** Subsampling seed; default 0. */
  seed?: number;
  /** Class names (or the number of classes). */
  classes: number | readonly string[];
  /** Called with each row as soon as it is measured. */
  onRow?: (row: SweepRow) => void;
}

/**
 * Runs every method on every fraction and returns one row per pair
 * ({head, fraction, accuracy, precision, recall, f1, trainSeconds, ...};
 * precision/recall/F1 are macro averages over the classes).
 *
 * @example
 * const rows = await dataFractionSweep({ train, test, classes: INJURY_CATEGORIES, seed: 7,
 *   methods: [classifierSweepMethod('GRN', () => makeClassifier('grn'), { steps: 150, batchSize: 16, lr: 3e-3 })] });
 */
export async function dataFractionSweep(options: SweepOptions): Promise<SweepRow[]> {
  const fractions = options.fractions ?? [0.1, 0.25, 0.5, 1];
  const rows: SweepRow[] = [];
  const truth = options.test.map((e) => e.label);
  for (const fraction of fractions) {
    const subset = stratifiedSubsample(options.train, (e) => e.label, fraction, options.seed ?? 0);
    for (const method of options.methods) {
      const start = performance.now();
      const trained = await method.train(subset);
      const trainSeconds = (performance.now() - start) / 1000;
      const report = classificationReport(truth, trained.predict(options.test), options.classes);
      trained.dispose?.();
      const row: SweepRow = {
        head: method.name, fraction, trainSize: subset.length, accuracy: report.accuracy,
        precision: report.macro.precision, recall: report.macro.recall, f1: report.macro.f1,
        trainSeconds, trainableParams: trained.trainableParams,
      };
      rows.push(row);
      options.onRow?.(row);
    }
  }
  return rows;
}

/**
 * A sweep method that builds a fresh `SequenceClassifier`, trains it with
 * `trainSequenceClassifier` and frees its head afterwards (the body is
 * shared and left alone unless `disposeBody` is set).
 *
 * @example
 * const grn = classifierSweepMethod('GRN', () => new SequenceClassifier(body, classificationHead('grn', { inputSize: 128, numClasses: 5 }), { padId }), { steps: 150, batchSize: 16, lr: 3e-3 });
 */
export function classifierSweepMethod(
  name: string, make: () => SequenceClassifier, trainOptions: ClassifierTrainOptions, options: { disposeBody?: boolean } = {},
): SweepMethod {
  return {
    name,
    async train(subset) {
      const classifier = make();
      await trainSequenceClassifier(classifier, subset, trainOptions);
      return {
        predict: (examples) => classifier.predict(examples),
        trainableParams: classifier.parameterCounts().trainable,
        dispose: () => {
          classifier.head.dispose();
          if (options.disposeBody) (classifier.body as { dispose?: () => void }).dispose?.();
        },
      };
    },
  };
}
