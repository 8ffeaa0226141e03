/**
 * npm's rules for the name of a new package (as validate-npm-package-name applies them): at most 214 characters,
 * lower case, URL-safe, not starting with . or _, none of ~'!()*, not a Node.js core module; `@scope/name` is fine
 * when both parts follow the rules. Also the name of the plugin a package's definition registers, derived from it.
 */
import {builtinModules} from 'node:module'

const RESERVED = new Set(['node_modules', 'favicon.ico'])

function partProblems(part: string, what: string): string[] {
  const problems: string[] = []
  if (part.length === 0) return [`${what} is empty`]
  if (/^[._]/.test(part)) problems.push(`${what} must not start with "." or "_"`)
  if (part !== part.toLowerCase()) problems.push(`${what} must be lower case`)
  if (/[~'!()*]/.test(part)) problems.push(`${what} must not contain any of ~'!()*`)
  if (encodeURIComponent(part) !== part) problems.push(`${what} may only hold URL-safe characters (a-z, 0-9, - . _)`)
  return problems
}

/** Why `name` cannot be the name of a new npm package; empty when it can. */
export function packageNameProblems(name: string): string[] {
  if (name.trim() !== name) return ['the name must not start or end with spaces']
  if (name.length > 214) return ['the name must be at most 214 characters long']
  const scoped = /^@([^/]*)\/(.*)$/.exec(name)
  if (name.startsWith('@') && !scoped) return ['a scoped name is written @scope/name']
  const problems = scoped
    ? [...partProblems(scoped[1], 'the scope'), ...partProblems(scoped[2], 'the name after the scope')]
    : partProblems(name, 'the name')
  if (!scoped && (RESERVED.has(name) || builtinModules.includes(name))) problems.push(`"${name}" is reserved`)
  return problems
}

/**
 * The `name` of the plugin definition in a package: the package name without scope and without an `etl-plugin-`
 * or `etl-` prefix, in the characters a plugin name allows (`etl-plugin-upper` → `upper`).
 */
export function pluginNameOf(packageName: string): string {
  const bare = packageName.replace(/^@[^/]*\//, '')
  const short = bare.replace(/^etl-plugin-/, '').replace(/^etl-/, '') || bare
  const cleaned = short
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '')
  return cleaned || 'plugin'
}
