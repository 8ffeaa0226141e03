/**
 * Scaffold templates: real files under templates/ with `{{name}}` placeholders. In a .json file a value is written
 * JSON-escaped (it sits inside a string there); elsewhere as it is. A placeholder without a value is a bug in etl, so
 * it throws instead of leaving `{{…}}` in a user's file. A template named `gitignore` becomes `.gitignore` (npm
 * leaves .gitignore files out of a published package).
 */
import {readdirSync, readFileSync} from 'node:fs'
import {join, relative, sep} from 'node:path'
import {EtlError} from '../errors.js'

export type TemplateValues = Readonly<Record<string, string | number>>

export interface ScaffoldFile {
  /** Path relative to the folder the scaffold writes into, with forward slashes. */
  path: string
  content: string
}

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g

/** `text` with every `{{key}}` replaced by its value; `file` names the template in errors and picks the escaping. */
export function renderTemplate(text: string, values: TemplateValues, file = 'template'): string {
  const json = file.endsWith('.json')
  return text.replace(PLACEHOLDER, (_, key: string) => {
    if (!Object.hasOwn(values, key)) throw new EtlError('ETL_INTERNAL', `${file}: no value for placeholder {{${key}}}`)
    const value = String(values[key])
    return json ? JSON.stringify(value).slice(1, -1) : value
  })
}

/** Where a template file lands, relative to the output folder. */
export function outputPath(templatePath: string): string {
  return templatePath
    .split('/')
    .map((segment) => (segment === 'gitignore' ? '.gitignore' : segment))
    .join('/')
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true})
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]))
    .sort()
}

/** Every file of a template folder, rendered; paths are relative to it (after outputPath). */
export function renderTemplateDir(dir: string, values: TemplateValues): ScaffoldFile[] {
  return filesUnder(dir).map((file) => {
    const path = outputPath(relative(dir, file).split(sep).join('/'))
    return {path, content: renderTemplate(readFileSync(file, 'utf8'), values, path)}
  })
}
