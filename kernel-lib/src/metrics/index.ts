/**
 * Text-similarity metrics: LLaMA-Factory's per-sample BLEU-4 and ROUGE
 * (nltk + jieba + rouge-chinese, reproduced to the last printed digit) and a
 * separately named sacreBLEU-style corpus BLEU.
 */
export { bleu4, nltkCorpusBleu, nltkSentenceBleu, type NltkBleuDetails, type NltkBleuOptions, type NltkSmoothing } from './bleu4';
export { corpusBleu, type CorpusBleuOptions, type CorpusBleuResult, type SacreBleuSmoothing } from './corpus-bleu';
export {
  averageSimilarityScores,
  llamaFactoryRouge,
  llamaFactoryScores,
  SIMILARITY_METRIC_NAMES,
  type SimilarityScores,
} from './llama-factory-scores';
export {
  pairLines,
  parsePredictionJsonl,
  readPredictionPairs,
  splitTextLines,
  type PredictionPair,
  type PredictionPairsResult,
} from './prediction-files';
export { formatPythonFixed, fsum, isPythonWhitespace, pythonRound, pythonSplit } from './python-semantics';
export {
  longestCommonSubsequenceLength,
  rougeChineseScores,
  rougeChineseWords,
  rougeL,
  rougeN,
  splitSentencesLikeRougeChinese,
  type RougeScore,
  type RougeScores,
} from './rouge';
export {
  isSacreBleuChineseCharacter,
  sacreBleuTokenize,
  SACREBLEU_TOKENIZER_NAMES,
  tokenize13a,
  tokenizeZh,
  type SacreBleuTokenizerName,
} from './sacrebleu-tokenizers';
export { isWhitespaceToken, jiebaCut, jiebaJoined, type WordSegmenter } from './segment';
