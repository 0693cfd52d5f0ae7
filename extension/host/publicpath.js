// Sets webpack's public path from the page config before anything else loads.
function pageOption(name) {
  const el = document.getElementById('jupyter-config-data');
  const data = el ? JSON.parse(el.textContent || '{}') : {};
  return data[name] || '';
}
// eslint-disable-next-line no-undef
__webpack_public_path__ = pageOption('fullStaticUrl') + '/';
