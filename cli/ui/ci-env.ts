/**
 * The variables by which ink (through is-in-ci) decides that it runs under CI. There it
 * draws no frames, only the last one on exit, which leaves an interactive terminal blank.
 */
const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION'] as const

/**
 * The mail UI only runs on a terminal, where a person (or a test driving tmux) looks at it,
 * even on a machine that exports CI=true. ink reads these variables once, when it is first
 * imported, so call this before importing anything that imports ink. Returns what it removed.
 */
export function letInkDraw (env: NodeJS.ProcessEnv): string[] {
  const removed = CI_VARIABLES.filter(name => name in env)
  for (const name of removed) Reflect.deleteProperty(env, name)
  return removed
}
