/**
 * Training telemetry: the versioned message schema shared with the JupyterLab
 * extension, its recorder and MIME bundle (GaLore subspaces, a LoRA-MoE's
 * expert routing), the one-call live dashboard, run controls over comms, and
 * `install-extension`.
 */
export {
  TELEMETRY_MIME_TYPE,
  TELEMETRY_SCHEMA,
  TELEMETRY_VERSION,
  TELEMETRY_CONTROL_TARGET,
  parseTelemetry,
  parseControlRequest,
  formatBytes,
  methodLabel,
  latestMemoryFigure,
  type TelemetryMessage,
  type RunMetadata,
  type RunStatus,
  type RunEnd,
  type RunEndStatus,
  type StepEvent,
  type MemorySampleEvent,
  type MemoryParts,
  type MemoryPartSources,
  type DeviceInfo,
  type DeviceMemory,
  type DeviceMemoryKind,
  type DeviceMemorySource,
  type ModelInfo,
  type SubspaceEvent,
  type SubspaceSummary,
  type HistoryInfo,
  type TrainingMethod,
  type ParsedTelemetry,
  type TelemetryControlRequest,
  type TelemetryControlReply,
  type ExpertRoutingSummary,
  type RoutingPoint,
} from './schema';
export { checkExpertRouting, routingLine } from './expert-routing-schema';
export { RoutingHistory, type RoutingInput } from './routing-history';
export { isRoutingSource, moeLedgerTargets, moeMethodOptions, type RoutingSource } from './routing-source';
export { BucketHistory, roundSignificant, weightedMean, type Countable } from './downsample';
export {
  TelemetryRecorder,
  weightLocation,
  type RecorderLimits,
  type StepInput,
  type MemoryInput,
  type SubspaceInput,
} from './telemetry-recorder';
export { telemetryBundle, telemetryText, telemetryHtml } from './telemetry-bundle';
export {
  DeviceMemoryProbe,
  parseNvidiaSmiGpus,
  parseNvidiaSmiProcessBytes,
  type DeviceMemoryProbeOptions,
  type NvidiaSmiGpu,
  type CommandRunner,
} from './device-memory';
export { handleControlRequest, registerControllableRun, type ControllableRun } from './run-controls';
export {
  liveDashboard,
  type LiveDashboard,
  type LiveDashboardOptions,
  type DashboardModel,
  type DashboardTrainOptions,
  type StepVerdict,
} from './live-dashboard';
export {
  installExtensionCommand,
  prebuiltExtensionDir,
  readBuiltExtension,
  labExtensionDir,
} from './install-extension-command';
