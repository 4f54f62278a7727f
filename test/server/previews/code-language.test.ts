import { describe, expect, it } from '@jest/globals';
import { codeLanguage } from '../../../server/src/previews/code-language.js';

describe('codeLanguage', () => {
  it('names the language as Mattermost highlights it, by extension or by file name', () => {
    expect(codeLanguage('src/app.ts')).toBe('typescript');
    expect(codeLanguage('lib/Thing.RB')).toBe('ruby');
    expect(codeLanguage('main.go')).toBe('go');
    expect(codeLanguage('include/x.h')).toBe('cpp');
    expect(codeLanguage('.gitlab-ci.yml')).toBe('yaml');
    expect(codeLanguage('deploy/Dockerfile')).toBe('dockerfile');
    expect(codeLanguage('Dockerfile.dev')).toBe('dockerfile');
    expect(codeLanguage('Makefile')).toBe('makefile');
    expect(codeLanguage('Jenkinsfile')).toBe('groovy');
  });

  it('gives no language for what it does not know', () => {
    expect(codeLanguage('LICENSE')).toBe('');
    expect(codeLanguage('.bashrc')).toBe('');
    expect(codeLanguage('data.unknownext')).toBe('');
    expect(codeLanguage('x.constructor')).toBe('');
    expect(codeLanguage('constructor')).toBe('');
  });
});
