import {Args, Flags} from '@oclif/core'
import {EtlCommand} from '../cli/base-command.js'
import {defaultEtlSpec} from '../runtime/scaffold/etl-package.js'
import {cdStep, scaffoldReport, shownDir} from '../runtime/scaffold/scaffold-report.js'
import {createStarterProject} from '../runtime/scaffold/starter-project.js'

export default class Init extends EtlCommand {
  static override summary = 'Write a starter project: a pipeline of weekly BTC candles, its tests and package.json.'
  static override description =
    'Writes package.json (scripts start, test and validate; etl as a dependency), pipelines/main.yaml (a replay of ' +
    "etl's bundled BTC/USD daily history rolled up into weekly candles in data/weekly.csv), " +
    'pipelines/main.test.yaml (its pipeline tests), README.md and .gitignore. Writes nothing and exits 1 ' +
    '(ETL_FILE_EXISTS) when any of these files already exists.'
  static override examples = [
    '<%= config.bin %> init my-project',
    '<%= config.bin %> init   # in the working directory',
  ]
  static override args = {
    dir: Args.string({description: 'folder to write the project into (created when missing)', default: '.'}),
  }
  static override flags = {
    etl: Flags.string({
      description: 'npm spec of the etl dependency, e.g. file:../etl-0.1.0.tgz (default: this etl, by path)',
      default: async () => defaultEtlSpec(),
    }),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Init)
    const result = createStarterProject({dir: args.dir, etlSpec: flags.etl})
    this.log(
      scaffoldReport(`Wrote a starter etl project in ${shownDir(result.dir)}:`, result, [
        ...cdStep(result.dir),
        'npm install',
        'npm run validate   # etl validate pipelines/main.yaml',
        'npm test           # etl test: the pipeline tests in pipelines/main.test.yaml',
        'npm start          # etl run pipelines/main.yaml → data/weekly.csv',
      ]),
    )
  }
}
