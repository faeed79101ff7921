import jsyaml from 'js-yaml';

/*
 * The YAML 1.2 core schema (spec 10.3.2), exactly: js-yaml's own CORE_SCHEMA also reads 0b…, signed 0x…/0o…
 * and 1_000 as numbers and refuses "+.5", so a value could differ from what the spec, and the `yaml` parser
 * that locates problems, say.
 */
const nullType = new jsyaml.Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (data: string) => /^(?:~|null|Null|NULL|)$/.test(data),
  construct: () => null,
});

const boolType = new jsyaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: string) => /^(?:true|True|TRUE|false|False|FALSE)$/.test(data),
  construct: (data: string) => data.toLowerCase() === 'true',
});

const intType = new jsyaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: string) => /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/.test(data),
  construct: (data: string) => {
    if (data.startsWith('0o')) return Number.parseInt(data.slice(2), 8);
    if (data.startsWith('0x')) return Number.parseInt(data.slice(2), 16);
    return Number(data);
  },
});

const floatType = new jsyaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: string) =>
    /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/.test(
      data,
    ),
  construct: (data: string) => {
    const lower = data.toLowerCase();
    if (lower.endsWith('.nan')) return Number.NaN;
    if (lower.endsWith('.inf')) return lower.startsWith('-') ? -Infinity : Infinity;
    return Number(data);
  },
});

export const yamlCoreSchema = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [nullType, boolType, intType, floatType],
});
