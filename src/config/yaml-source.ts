import jsyaml from 'js-yaml';
import { type Document, isCollection, LineCounter, parseDocument } from 'yaml';
import type { ConfigProblem, PathSegment } from './config-problem.js';
import { formatPath } from './config-problem.js';
import { yamlCoreSchema } from './yaml-core-schema.js';
import { yamlNodeCounts } from './yaml-expansion.js';
import { detachStrings } from './yaml-strings.js';

/** A parsed YAML file that can say where each path came from. */
export interface YamlSource {
  readonly file: string;
  readonly value: unknown;
  /** Problems located at the deepest node of `path` that exists in the file. */
  problem(path: readonly PathSegment[], message: string): ConfigProblem;
}

/** Aliases may add this many nodes beyond four times what is written before the file is refused. */
const ALIAS_EXPANSION_ALLOWANCE = 100_000;

/**
 * Values come from js-yaml (a 100,000-policy file: under a second, ~170 MB peak); the `yaml` parser, whose
 * document model knows each node's position but costs ~15 s and ~1.5 GB on that file, reads the text only
 * when there is a problem to locate or a syntax error to explain.
 */
export function parseYaml(file: string, text: string): { source: YamlSource; problems: ConfigProblem[] } {
  let located: { document: Document; lineCounter: LineCounter } | undefined;
  const positions = () => {
    if (!located) {
      const lineCounter = new LineCounter();
      const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
      located = { document, lineCounter };
    }
    return located;
  };
  const locate = (path: readonly PathSegment[]): { line: number; column: number } | undefined => {
    const { document, lineCounter } = positions();
    for (let length = path.length; length >= 0; length--) {
      const prefix = path.slice(0, length);
      const node = prefix.length === 0 ? document.contents : document.getIn(prefix, true);
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range && (length === path.length || isCollection(node))) {
        const { line, col } = lineCounter.linePos(range[0]);
        return { line, column: col };
      }
    }
    return undefined;
  };
  const problem: YamlSource['problem'] = (path, message) => ({
    file,
    path: formatPath(path),
    ...locate(path),
    message,
  });

  let value: unknown;
  try {
    value = jsyaml.load(text, { schema: yamlCoreSchema, filename: file }) ?? null;
  } catch (error) {
    return { source: { file, value: undefined, problem }, problems: syntaxProblems(file, error, positions) };
  }
  const { written, expanded } = yamlNodeCounts(value);
  if (expanded > 4 * written + ALIAS_EXPANSION_ALLOWANCE) {
    return {
      source: { file, value: undefined, problem },
      problems: [
        {
          file,
          path: '',
          message: `YAML aliases expand ${written} written nodes to ${expanded}: refused as a resource-exhaustion risk`,
        },
      ],
    };
  }
  detachStrings(value);
  return { source: { file, value, problem }, problems: [] };
}

/** Every syntax error the `yaml` parser finds, with its position; js-yaml's own when only it refuses the text. */
function syntaxProblems(
  file: string,
  error: unknown,
  positions: () => { document: Document; lineCounter: LineCounter },
): ConfigProblem[] {
  let located: ReturnType<typeof positions> | undefined;
  try {
    located = positions();
  } catch {
    // Nesting deep enough to overflow the stack: js-yaml's error says enough.
  }
  if (located && located.document.errors.length > 0) {
    const { document, lineCounter } = located;
    return document.errors.map((syntax) => {
      const position = lineCounter.linePos(syntax.pos[0]);
      return {
        file,
        path: '',
        line: position.line,
        column: position.col,
        message: `YAML syntax: ${syntax.message.split('\n')[0] ?? syntax.code}`,
      };
    });
  }
  if (error instanceof jsyaml.YAMLException) {
    return [
      {
        file,
        path: '',
        line: error.mark.line + 1,
        column: error.mark.column + 1,
        message: `YAML syntax: ${error.reason}`,
      },
    ];
  }
  return [
    { file, path: '', message: `YAML syntax: ${error instanceof Error ? error.message : String(error)}` },
  ];
}
