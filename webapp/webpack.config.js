// Builds webapp/dist/main.js: one bundle, with React and Redux taken from the Mattermost host's window globals.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** What the Mattermost webapp provides on window; bundling our own copies would break hooks and context. */
export const HOST_EXTERNALS = {
  react: 'React',
  'react-dom': 'ReactDOM',
  redux: 'Redux',
  'react-redux': 'ReactRedux',
  'prop-types': 'PropTypes',
};

export default (_env, argv) => ({
  context: here,
  entry: './src/index.tsx',
  mode: argv.mode ?? 'production',
  devtool: false,
  target: ['web', 'es2020'],
  resolve: { extensions: ['.ts', '.tsx', '.js'] },
  module: {
    rules: [
      {
        test: /\.tsx?$/,
        exclude: /node_modules/,
        use: {
          loader: 'swc-loader',
          options: {
            jsc: {
              parser: { syntax: 'typescript', tsx: true },
              transform: { react: { runtime: 'classic' } },
              target: 'es2020',
            },
          },
        },
      },
    ],
  },
  externals: HOST_EXTERNALS,
  output: { path: path.join(here, 'dist'), filename: 'main.js', clean: true },
  performance: { hints: false },
});
