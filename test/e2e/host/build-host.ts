/** Builds the stand-in Mattermost host page's script with webpack (everything bundled, nothing external). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function buildHost(outDir: string): Promise<string> {
  const compiler = webpack({
    context: here,
    entry: './host.tsx',
    // Development: React's and Redux's warnings stay on, so a plugin's mistakes show up as console errors.
    mode: 'development',
    devtool: false,
    target: 'web',
    // Sources import siblings as './x.js' (NodeNext, shared with the tests); the file is .ts/.tsx.
    resolve: { extensions: ['.ts', '.tsx', '.js'], extensionAlias: { '.js': ['.ts', '.tsx', '.js'] } },
    module: {
      rules: [
        {
          test: /\.tsx?$/,
          use: {
            loader: 'swc-loader',
            options: { jsc: { parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'classic' } }, target: 'es2020' } },
          },
        },
      ],
    },
    output: { path: outDir, filename: 'host.js' },
    performance: { hints: false },
  });
  const stats = await new Promise<webpack.Stats>((resolve, reject) =>
    compiler.run((error, result) => (error || !result ? reject(error) : resolve(result))),
  );
  await new Promise((resolve) => compiler.close(resolve));
  if (stats.hasErrors()) throw new Error(stats.toString({ all: false, errors: true }));
  return path.join(outDir, 'host.js');
}
