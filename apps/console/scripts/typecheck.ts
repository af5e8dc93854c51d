/**
 * `tsc --noEmit -p apps/console`, reporting only the console's own files.
 *
 * The console imports the control plane's router type, which brings the control plane's sources into this
 * program, checked here with the browser's DOM lib. Under that lib, Node's webcrypto types and the DOM's
 * `Crypto` disagree, so correct server code (the CA) fails to check. The root typecheck checks those files
 * with the Node-only settings they are written for; this one checks every file under apps/console fully.
 */
import path from "node:path";
import ts from "typescript";

const consoleDir = path.resolve(import.meta.dirname, "..");
const configPath = path.join(consoleDir, "tsconfig.json");

const config = ts.getParsedCommandLineOfConfigFile(
  configPath,
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => report([diagnostic]),
  },
);
if (config === undefined) process.exit(2);

const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
const ownFiles = program
  .getSourceFiles()
  .filter((file) => !path.relative(consoleDir, file.fileName).startsWith("..") && !file.isDeclarationFile);

const diagnostics = [
  ...config.errors,
  ...program.getOptionsDiagnostics(),
  ...program.getGlobalDiagnostics(),
  ...ownFiles.flatMap((file) => [
    ...program.getSyntacticDiagnostics(file),
    ...program.getSemanticDiagnostics(file),
  ]),
];
report(diagnostics);
process.exit(diagnostics.some((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error) ? 1 : 0);

function report(found: readonly ts.Diagnostic[]): void {
  if (found.length === 0) return;
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (fileName) => fileName,
    getCurrentDirectory: () => process.cwd(),
    getNewLine: () => "\n",
  };
  console.error(ts.formatDiagnosticsWithColorAndContext(found, host));
}
