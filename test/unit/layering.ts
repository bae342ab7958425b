// The layering of src/ (design.md, "Layers") as a checker over source texts: which layer may import
// which, the part of api/ the client SDK may build on, and the purity of core/ and zab/. It is a
// function over { path, text } pairs, not over the disk, so its own tests can feed it small
// synthetic files and prove that each rule fails when it should.
import { posix } from 'node:path';
import ts from 'typescript';

/** A source file, its path relative to the repository root with forward slashes (`src/core/path.ts`). */
export interface SourceText {
  path: string;
  text: string;
}

export type Rule = 'layers' | 'client contract' | 'pure core and zab';

export interface Violation {
  file: string;
  line: number;
  what: string;
  rule: Rule;
}

export function formatViolation(violation: Violation): string {
  return `${violation.file}:${violation.line}: ${violation.what} (${violation.rule})`;
}

// Each layer and the layers it may import, itself included. The ladder is design.md's:
// core < storage < zab < server < api < gateway < main, with two layers beside it: client/ is the SDK
// built on the proto contract (core and api/grpc's contract files only, below), and cli/ uses client/
// and main/. zab/ and storage/ both sit directly on core: neither may import the other, so the
// consensus state machine never learns how its records reach the disk. gateway/ does not exist yet;
// it is design.md's "api/ over a client link", so it may use client/ as well.
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  core: ['core'],
  storage: ['core', 'storage'],
  zab: ['core', 'zab'],
  server: ['core', 'storage', 'zab', 'server'],
  api: ['core', 'storage', 'zab', 'server', 'api'],
  gateway: ['core', 'storage', 'zab', 'server', 'api', 'client', 'gateway'],
  main: ['core', 'storage', 'zab', 'server', 'api', 'gateway', 'client', 'main'],
  client: ['core', 'client'],
  cli: ['core', 'client', 'main', 'cli'],
};

// The files of api/ that are the proto contract: generated message types, the proto loader, the
// conversion between proto and core types, the error table and FIFO ordering. client/ may import
// these and no other part of api/; they in turn may import only core/ and each other, so that the
// SDK cannot reach the server through them.
const CONTRACT_FOLDERS = ['src/api/grpc/generated/'];
const CONTRACT_FILES = ['src/api/grpc/loader.ts', 'src/api/grpc/convert.ts', 'src/api/grpc/errors.ts', 'src/api/grpc/fifo.ts', 'src/api/grpc/error-detail.ts'];

function isContract(path: string): boolean {
  return CONTRACT_FILES.includes(path) || CONTRACT_FOLDERS.some((folder) => path.startsWith(folder));
}

const PURE_LAYERS = ['core', 'zab'];

// Modules from outside src/ that core/ and zab/ may import. A list of what is allowed rather than
// of what is not, so that a new kind of I/O (a logger, a socket library) is refused without anyone
// having thought of it first. node:crypto is here for its hashes (createHash), node:zlib for crc32;
// crypto's randomness is refused below by name.
const PURE_MODULES = ['node:crypto', 'crypto', 'node:zlib', 'zlib', 'node:buffer', 'buffer'];
const CRYPTO_MODULES = ['node:crypto', 'crypto'];
const RANDOM_FUNCTIONS = ['randomBytes', 'randomUUID', 'getRandomValues', 'randomInt', 'randomFill', 'randomFillSync'];

// Globals through which time, scheduling or the outside world reach code, and what using each means.
const IMPURE_GLOBALS: Readonly<Record<string, string>> = {
  setTimeout: 'uses a timer',
  setInterval: 'uses a timer',
  setImmediate: 'uses a timer',
  clearTimeout: 'uses a timer',
  clearInterval: 'uses a timer',
  clearImmediate: 'uses a timer',
  queueMicrotask: 'schedules work',
  process: 'touches the process',
  performance: 'reads the clock',
  fetch: 'does network I/O',
  console: 'writes to the console',
};
const GLOBAL_OBJECTS = ['globalThis', 'global'];

export function checkLayering(files: readonly SourceText[]): Violation[] {
  const known = new Set(files.map((file) => file.path));
  const violations: Violation[] = [];
  for (const file of files) {
    const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const report = (node: ts.Node, what: string, rule: Rule): void => {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      violations.push({ file: file.path, line, what, rule });
    };
    const layer = layerOf(file.path);
    if (layer === undefined || MAY_IMPORT[layer] === undefined) {
      const where = layer === undefined ? 'is not in a folder of src/' : `is in src/${layer}/`;
      violations.push({ file: file.path, line: 1, what: `${where}, which is no layer of design.md`, rule: 'layers' });
      continue;
    }
    for (const found of importsOf(source)) {
      if (found.specifier === undefined) {
        report(found.node, 'imports a computed specifier, which cannot be checked', 'layers');
        continue;
      }
      if (isRelative(found.specifier)) {
        checkRelativeImport(file.path, layer, resolve(file.path, found.specifier, known), found.node, report);
      } else if (PURE_LAYERS.includes(layer)) {
        checkPureModuleImport(layer, found, report);
      }
    }
    if (PURE_LAYERS.includes(layer)) checkPureCode(source, report);
  }
  return violations;
}

type Report = (node: ts.Node, what: string, rule: Rule) => void;

function layerOf(path: string): string | undefined {
  const parts = path.split('/');
  return parts[0] === 'src' && parts.length > 2 ? parts[1] : undefined;
}

function isRelative(specifier: string): boolean {
  return specifier === '.' || specifier === '..' || specifier.startsWith('./') || specifier.startsWith('../');
}

// Relative specifiers name the emitted .js file (NodeNext); the source is the .ts next to it. A
// specifier without an extension may name a folder's index.ts.
function resolve(from: string, specifier: string, known: ReadonlySet<string>): string {
  const joined = posix.normalize(posix.join(posix.dirname(from), specifier));
  const source = joined.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts').replace(/\.cjs$/, '.cts');
  for (const candidate of [source, `${joined}.ts`, `${joined}/index.ts`]) if (known.has(candidate)) return candidate;
  return source;
}

function checkRelativeImport(file: string, layer: string, target: string, node: ts.Node, report: Report): void {
  const targetLayer = layerOf(target);
  if (targetLayer === undefined) {
    report(node, `imports ${target}, which is outside the layers of src/`, 'layers');
    return;
  }
  const allowed = MAY_IMPORT[layer] ?? [];
  const clientUsesContract = layer === 'client' && targetLayer === 'api' && isContract(target);
  if (!allowed.includes(targetLayer) && !clientUsesContract) {
    const list = allowed.map((name) => `${name}/`).join(', ');
    const contract = layer === 'client' ? ' and the proto contract in api/grpc/' : '';
    report(node, `imports ${target}; ${layer}/ may import only ${list}${contract}`, 'layers');
  }
  if (isContract(file) && targetLayer !== 'core' && !isContract(target)) {
    report(node, `imports ${target}; the proto contract client/ builds on may import only core/ and the contract`, 'client contract');
  }
}

function checkPureModuleImport(layer: string, found: FoundImport, report: Report): void {
  const specifier = found.specifier ?? '';
  if (!PURE_MODULES.includes(specifier)) {
    report(found.node, `imports ${specifier}; ${layer}/ may import from outside src/ only ${PURE_MODULES.filter((name) => name.startsWith('node:')).join(', ')}`, 'pure core and zab');
    return;
  }
  if (CRYPTO_MODULES.includes(specifier)) {
    for (const name of found.names) {
      if (RANDOM_FUNCTIONS.includes(name)) report(found.node, `draws randomness (${name} from ${specifier})`, 'pure core and zab');
    }
  }
}

interface FoundImport {
  /** Where the import is reported: its module specifier, or the whole import() call. */
  node: ts.Node;
  /** The module specifier, or undefined when it is computed at run time. */
  specifier: string | undefined;
  /** The names a named import or export-from takes from the module (their names there, not local aliases). */
  names: string[];
}

// Every way a module can name another: import and export-from declarations, import-equals,
// dynamic import(), require() and import types (`import('...').T`). Type-only imports count too: a
// type from a higher layer ties this layer to that layer's shape just as a value does.
function importsOf(source: ts.SourceFile): FoundImport[] {
  const found: FoundImport[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      if (node.moduleSpecifier !== undefined) {
        found.push({ node: node.moduleSpecifier, specifier: literalText(node.moduleSpecifier), names: importedNames(node) });
      }
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      found.push({ node: node.moduleReference.expression, specifier: literalText(node.moduleReference.expression), names: [] });
    } else if (ts.isCallExpression(node) && isImportOrRequire(node)) {
      const [argument] = node.arguments;
      found.push({ node, specifier: argument !== undefined && node.arguments.length === 1 ? literalText(argument) : undefined, names: [] });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      found.push({ node, specifier: literalText(node.argument.literal), names: [] });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function isImportOrRequire(call: ts.CallExpression): boolean {
  if (call.expression.kind === ts.SyntaxKind.ImportKeyword) return true;
  return ts.isIdentifier(call.expression) && call.expression.text === 'require';
}

function literalText(node: ts.Node): string | undefined {
  return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) ? node.text : undefined;
}

function importedNames(node: ts.ImportDeclaration | ts.ExportDeclaration): string[] {
  const bindings = ts.isImportDeclaration(node) ? node.importClause?.namedBindings : node.exportClause;
  if (bindings === undefined || !(ts.isNamedImports(bindings) || ts.isNamedExports(bindings))) return [];
  return bindings.elements.map((element) => (element.propertyName ?? element.name).text);
}

// Time, randomness, timers and the process in code, found in the syntax tree so that comments,
// strings and property names (`message.process`, `{ setTimeout: ... }`) do not count. Type
// positions (`ReturnType<typeof setTimeout>`) do not count either: they do nothing at run time. A
// name the file declares itself (a parameter `process`, a method's local `performance`) is taken
// to be that declaration, so an injected clock or scheduler may use the name it replaces.
function checkPureCode(source: ts.SourceFile, report: Report): void {
  const declared = declaredNames(source);
  const cryptoNames = new Set([...(declared.has('crypto') ? [] : ['crypto']), ...cryptoBindings(source)]);
  const rule: Rule = 'pure core and zab';
  const visit = (node: ts.Node): void => {
    if (ts.isTypeNode(node) || ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
    if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return;
    if (ts.isIdentifier(node) && isValueReference(node) && !declared.has(node.text)) {
      const meaning = IMPURE_GLOBALS[node.text];
      if (meaning !== undefined) report(node, `${meaning} (${node.text})`, rule);
    }
    if (ts.isPropertyAccessExpression(node)) {
      const object = globalName(node.expression, declared);
      const property = node.name.text;
      if (object !== undefined && GLOBAL_OBJECTS.includes(object) && IMPURE_GLOBALS[property] !== undefined) {
        report(node, `${IMPURE_GLOBALS[property]} (${object}.${property})`, rule);
      } else if (object === 'Date' && property === 'now') {
        report(node, 'reads the clock (Date.now)', rule);
      } else if (object === 'Math' && property === 'random') {
        report(node, 'draws randomness (Math.random)', rule);
      } else if (RANDOM_FUNCTIONS.includes(property) && isCrypto(node.expression, cryptoNames)) {
        report(node, `draws randomness (${node.expression.getText(source)}.${property})`, rule);
      }
    }
    if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && globalName(node.expression, declared) === 'Date') {
      report(node, `reads the clock (${ts.isNewExpression(node) ? 'new Date' : 'Date()'})`, rule);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

// The global an expression names: `Date` or `globalThis.Date` are both `Date`, unless the file
// declares a `Date` of its own.
function globalName(expression: ts.Expression, declared: ReadonlySet<string>): string | undefined {
  if (ts.isIdentifier(expression)) return declared.has(expression.text) ? undefined : expression.text;
  if (ts.isPropertyAccessExpression(expression) && ts.isIdentifier(expression.expression) && GLOBAL_OBJECTS.includes(expression.expression.text)) {
    return expression.name.text;
  }
  return undefined;
}

// Whether an expression is node:crypto or the Web Crypto object: the global `crypto` (or
// `globalThis.crypto`), a name the file binds to node:crypto, or `webcrypto` on either. An object of
// the file's own that happens to have a `randomBytes` (an injected source of randomness) is not.
function isCrypto(expression: ts.Expression, cryptoNames: ReadonlySet<string>): boolean {
  if (ts.isIdentifier(expression)) return cryptoNames.has(expression.text);
  if (!ts.isPropertyAccessExpression(expression)) return false;
  const onGlobalObject = ts.isIdentifier(expression.expression) && GLOBAL_OBJECTS.includes(expression.expression.text);
  if (expression.name.text === 'crypto') return onGlobalObject;
  return expression.name.text === 'webcrypto' && isCrypto(expression.expression, cryptoNames);
}

// Local names bound to node:crypto as a whole (`import * as crypto`, `import nodeCrypto from`) or
// to its webcrypto object.
function cryptoBindings(source: ts.SourceFile): string[] {
  const names: string[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !CRYPTO_MODULES.includes(literalText(statement.moduleSpecifier) ?? '')) continue;
    const clause = statement.importClause;
    if (clause?.name !== undefined) names.push(clause.name.text);
    const bindings = clause?.namedBindings;
    if (bindings !== undefined && ts.isNamespaceImport(bindings)) names.push(bindings.name.text);
    if (bindings !== undefined && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) if ((element.propertyName ?? element.name).text === 'webcrypto') names.push(element.name.text);
    }
  }
  return names;
}

// Every name the file declares anywhere (variables, parameters, functions, classes, imports). Not
// scope-exact: a name declared in one function shadows the global in the whole file. That errs on
// the side of silence only for files that reuse a global's name on purpose, which a reader sees.
function declaredNames(source: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (
      (ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isBindingElement(node) || ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node)) &&
      node.name !== undefined &&
      ts.isIdentifier(node.name)
    ) {
      names.add(node.name.text);
    }
    if (ts.isImportClause(node) && node.name !== undefined) names.add(node.name.text);
    if (ts.isNamespaceImport(node) || ts.isImportSpecifier(node)) names.add(node.name.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

// Whether an identifier refers to a value by its name, rather than being a property name, the name
// a declaration introduces, or a label.
function isValueReference(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent)) return parent.expression === node;
  if (ts.isQualifiedName(parent)) return parent.left === node;
  if (ts.isShorthandPropertyAssignment(parent)) return true;
  if (ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent)) return false;
  if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent) || ts.isImportClause(parent) || ts.isNamespaceImport(parent)) return false;
  // Declarations, object and class members, and `{ name: local }` patterns name the identifier in
  // `name` or `propertyName`; anything else that holds an identifier (an initializer, an argument,
  // a callee) uses it.
  const holder = parent as ts.Node & { name?: ts.Node; propertyName?: ts.Node };
  return holder.name !== node && holder.propertyName !== node;
}
