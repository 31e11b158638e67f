import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true }),
  { ignores: ['dist/**', 'node_modules/**'] },
  // the web console's script runs in the browser, as a plain script beside uPlot's
  {
    files: ['console/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { window: 'readonly', document: 'readonly', sessionStorage: 'readonly', fetch: 'readonly', FormData: 'readonly', setTimeout: 'readonly' }
    }
  }
]
