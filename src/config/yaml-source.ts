import { isCollection, LineCounter, parseDocument } from 'yaml';
import type { ConfigProblem, PathSegment } from './config-problem.js';
import { formatPath } from './config-problem.js';

/** A parsed YAML file that can say where each path came from. */
export interface YamlSource {
  readonly file: string;
  readonly value: unknown;
  /** Problems located at the deepest node of `path` that exists in the file. */
  problem(path: readonly PathSegment[], message: string): ConfigProblem;
}

export function parseYaml(file: string, text: string): { source: YamlSource; problems: ConfigProblem[] } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = document.errors.map((error) => {
    const position = lineCounter.linePos(error.pos[0]);
    return {
      file,
      path: '',
      line: position.line,
      column: position.col,
      message: `YAML syntax: ${error.message.split('\n')[0] ?? error.code}`,
    };
  });

  function locate(path: readonly PathSegment[]): { line: number; column: number } | undefined {
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
  }

  const source: YamlSource = {
    file,
    value: problems.length > 0 ? undefined : (document.toJS() as unknown),
    problem: (path, message) => ({ file, path: formatPath(path), ...locate(path), message }),
  };
  return { source, problems };
}
