/**
 * The language of a file, by its name, as Mattermost names languages for
 * syntax highlighting in a code fence (` ```typescript `). Only names Mattermost
 * highlights are given (its Constants.HighlightedLanguages, loaded by
 * webapp/channels/src/utils/syntax_highlighting.tsx); anything else gets no
 * language, and the code is shown plain.
 */

const BY_EXTENSION: Record<string, string> = {
  ts: 'typescript', tsx: 'typescript', mts: 'typescript', cts: 'typescript',
  js: 'javascript', jsx: 'javascript', mjs: 'javascript', cjs: 'javascript',
  py: 'python', pyw: 'python', pyi: 'python',
  rb: 'ruby', rake: 'ruby', gemspec: 'ruby', ru: 'ruby',
  go: 'go',
  rs: 'rust',
  java: 'java',
  kt: 'kotlin', kts: 'kotlin',
  scala: 'scala', sc: 'scala',
  groovy: 'groovy', gradle: 'groovy',
  c: 'cpp', h: 'cpp', cc: 'cpp', cpp: 'cpp', cxx: 'cpp', hpp: 'cpp', hh: 'cpp', hxx: 'cpp',
  cs: 'csharp',
  fs: 'fsharp', fsx: 'fsharp',
  swift: 'swift',
  m: 'objectivec', mm: 'objectivec',
  php: 'php',
  pl: 'perl', pm: 'perl',
  lua: 'lua',
  r: 'r',
  sh: 'bash', bash: 'bash', zsh: 'bash',
  ps1: 'powershell', psm1: 'powershell',
  sql: 'sql', pgsql: 'pgsql',
  css: 'css', scss: 'scss', less: 'less', styl: 'stylus',
  html: 'xml', htm: 'xml', xhtml: 'xml', xml: 'xml', svg: 'xml', vue: 'xml',
  json: 'json',
  yaml: 'yaml', yml: 'yaml',
  md: 'markdown', markdown: 'markdown',
  diff: 'diff', patch: 'diff',
  ex: 'elixir', exs: 'elixir',
  erl: 'erlang', hrl: 'erlang',
  clj: 'clojure', cljs: 'clojure', cljc: 'clojure', edn: 'clojure',
  hs: 'haskell',
  ml: 'ocaml', mli: 'ocaml',
  jl: 'julia',
  dart: 'dart',
  d: 'd',
  f: 'fortran', f90: 'fortran', f95: 'fortran',
  tex: 'latex',
  coffee: 'coffeescript',
  hbs: 'handlebars', handlebars: 'handlebars',
  lisp: 'lisp', el: 'lisp',
  scm: 'scheme',
  v: 'verilog', sv: 'verilog',
  vhd: 'vhdl', vhdl: 'vhdl',
  vb: 'vbnet', vbs: 'vbscript',
  pas: 'delphi', dpr: 'delphi',
  pp: 'puppet',
  hx: 'haxe',
  applescript: 'applescript',
  as: 'actionscript',
  mk: 'makefile',
  dockerfile: 'dockerfile',
  txt: 'plaintext',
};

/** Files known by their whole name. */
const BY_NAME: Record<string, string> = {
  dockerfile: 'dockerfile',
  containerfile: 'dockerfile',
  makefile: 'makefile',
  gnumakefile: 'makefile',
  gemfile: 'ruby',
  rakefile: 'ruby',
  vagrantfile: 'ruby',
  jenkinsfile: 'groovy',
};

/** Mattermost's name for the language of `path` (a file path or name), or '' when it has none. */
export function codeLanguage(path: string): string {
  const name = (path.split('/').pop() ?? '').toLowerCase();
  if (Object.hasOwn(BY_NAME, name)) return BY_NAME[name]!;
  // `Dockerfile.dev`, `Makefile.am`: the name says more than the extension.
  const stem = name.split('.')[0]!;
  if (name.includes('.') && (stem === 'dockerfile' || stem === 'containerfile' || stem === 'makefile')) return BY_NAME[stem]!;
  const dot = name.lastIndexOf('.');
  if (dot <= 0 && !name.startsWith('.')) return '';
  const extension = name.slice(dot + 1);
  // Own keys only: a file named `x.constructor` has no language.
  return Object.hasOwn(BY_EXTENSION, extension) ? BY_EXTENSION[extension]! : '';
}
