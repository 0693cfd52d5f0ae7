// Lets a plain `node` process require the TypeScript sources directly (used by
// the child processes of the review-log crash test): each .ts file is
// transpiled to CommonJS in memory with the TypeScript compiler, no type check.
const fs = require('fs');
const Module = require('module');
const ts = require('typescript');

if (!Module._extensions['.ts']) {
  Module._extensions['.ts'] = function compileTs(module, filename) {
    const source = fs.readFileSync(filename, 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    module._compile(outputText, filename);
  };
}
