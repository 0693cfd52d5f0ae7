/* global __webpack_init_sharing__, __webpack_share_scopes__ */
// Loads every prebuilt (federated) extension's container first, so Module
// Federation can settle which copy of each shared package to use, then
// starts the application (index.js).

function pageOption(name) {
  const el = document.getElementById('jupyter-config-data');
  const data = el ? JSON.parse(el.textContent || '{}') : {};
  return data[name] || '';
}

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.onerror = reject;
    script.onload = resolve;
    script.async = true;
    document.head.appendChild(script);
    script.src = url;
  });
}

async function loadContainer(url, scope) {
  await loadScript(url);
  await __webpack_init_sharing__('default');
  const container = window._JUPYTERLAB[scope];
  await container.init(__webpack_share_scopes__.default);
}

void (async function bootstrap() {
  const extensions = pageOption('federated_extensions') || [];
  const base = pageOption('fullLabextensionsUrl');
  const loaded = await Promise.allSettled(extensions.map((data) => loadContainer(`${base}/${data.name}/${data.load}`, data.name)));
  for (const result of loaded) if (result.status === 'rejected') console.error('cannot load a prebuilt extension', result.reason);
  const { main } = await import('./index.js');
  if (document.readyState === 'complete') void main();
  else window.addEventListener('load', () => void main());
})();
