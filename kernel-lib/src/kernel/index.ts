/**
 * The GaLore Lab Jupyter kernel (protocol layer of our own on tslab's compiler)
 * and its installation as a kernelspec.
 */
export { startKernel, type RunningKernel } from './start-kernel';
export {
  DEFAULT_KERNEL_NAME,
  DEFAULT_DISPLAY_NAME,
  buildKernelSpec,
  installKernelSpec,
  uninstallKernelSpec,
  kernelSpecDir,
  userJupyterDataDir,
  kernelNameProblem,
  type KernelSpecFile,
  type InstallLocation,
  type InstallResult,
  type UninstallResult,
} from './kernelspec';
export { renderLogoPng, renderLogoPixels, writeKernelLogos, LOGO_SIZES } from './kernel-logo';
