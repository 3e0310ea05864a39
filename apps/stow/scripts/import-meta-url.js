// Injected into the single-executable bundle (CommonJS, so `require` and `__filename` exist there):
// what `import.meta.url` means inside it: the executable file itself.
export const __stowImportMetaUrl = require('node:url').pathToFileURL(__filename).href;
