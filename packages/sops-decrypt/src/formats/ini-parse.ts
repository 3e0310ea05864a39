// A port of the parts of go-ini (gopkg.in/ini.v1, default LoadOptions) that sops relies on.

export interface IniKey {
  name: string;
  value: string;
  comment: string;
}
export interface IniSection {
  name: string;
  comment: string;
  keys: IniKey[];
}

export class IniSyntaxError extends Error {
  constructor(readonly line: number) {
    super(`invalid INI at line ${line}`);
  }
}

const trimLeft = (s: string): string => s.replace(/^\s+/, '');
const goTrim = (s: string): string => s.trim();

function hasSurroundedQuote(s: string, q: string): boolean {
  return s.length >= 2 && s[0] === q && s[s.length - 1] === q && s.indexOf(q, 1) === s.length - 1;
}

/** Parses INI text into sections (DEFAULT first) the way go-ini's default parser does. */
export function parseIni(text: string): IniSection[] {
  const lines = text.replace(/^\uFEFF/, '').match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const sections: IniSection[] = [{ name: 'DEFAULT', comment: '', keys: [] }];
  let section = sections[0] as IniSection;
  let comment = '';
  let n = 0;
  let autoIncrement = 1;
  const next = (): string | undefined => lines[n++];

  const readValue = (raw: string, lineNo: number): string => {
    let line = trimLeft(raw);
    if (line.length === 0) return '';
    let quote = '';
    if (line.length > 3 && line.startsWith('"""')) quote = '"""';
    else if (line[0] === '`') quote = '`';
    if (quote) {
      const rest = line.slice(quote.length);
      const pos = rest.lastIndexOf(quote);
      if (pos !== -1) return rest.slice(0, pos);
      let val = rest;
      for (;;) {
        const more = next();
        if (more === undefined) throw new IniSyntaxError(lineNo);
        const p = more.lastIndexOf(quote);
        if (p > -1) {
          val += more.slice(0, p);
          const c = /[#;].*/.exec(more.slice(p));
          if (c) comment += goTrim(c[0]);
          return val;
        }
        val += more;
      }
    }
    line = goTrim(line);
    if (line.endsWith('\\')) {
      let val = line.slice(0, -1);
      for (;;) {
        const more = next();
        if (more === undefined) break;
        const t = goTrim(more);
        if (t.length === 0) break;
        val += t;
        if (!val.endsWith('\\')) break;
        val = val.slice(0, -1);
      }
      return val;
    }
    const i = line.search(/[#;]/);
    if (i > -1) {
      comment += line.slice(i);
      line = goTrim(line.slice(0, i));
    }
    if (hasSurroundedQuote(line, "'") || hasSurroundedQuote(line, '"')) line = line.slice(1, -1);
    return line;
  };

  for (let raw = next(); raw !== undefined; raw = next()) {
    const lineNo = n;
    const line = trimLeft(raw);
    if (line.length === 0) continue;
    if (line[0] === '#' || line[0] === ';') {
      comment += line;
      continue;
    }
    if (line[0] === '[') {
      const close = line.lastIndexOf(']');
      if (close === -1) throw new IniSyntaxError(lineNo);
      const name = line.slice(1, close);
      if (name.length === 0) throw new IniSyntaxError(lineNo);
      const c = /[#;].*/s.exec(line.slice(close + 1));
      if (c) comment += c[0];
      section = sections.find((s) => s.name === name) ?? { name, comment: '', keys: [] };
      if (!sections.includes(section)) sections.push(section);
      section.comment = goTrim(comment);
      comment = '';
      autoIncrement = 1;
      continue;
    }
    let name: string;
    let offset: number;
    const q =
      line.startsWith('"""') && line.length > 6 ? '"""' : line[0] === '"' ? '"' : line[0] === '`' ? '`' : '';
    if (q) {
      const pos = line.indexOf(q, q.length);
      if (pos === -1) throw new IniSyntaxError(lineNo);
      const d = line.slice(pos + q.length).search(/[=:]/);
      if (d < 0) throw new IniSyntaxError(lineNo);
      name = goTrim(line.slice(q.length, pos));
      offset = pos + d + q.length + 1;
    } else {
      const d = line.search(/[=:]/);
      if (d < 0) throw new IniSyntaxError(lineNo);
      name = goTrim(line.slice(0, d));
      offset = d + 1;
    }
    if (name === '-') name = `#${autoIncrement++}`;
    const value = readValue(line.slice(offset), lineNo);
    if (name.length === 0) throw new IniSyntaxError(lineNo);
    const existing = section.keys.find((k) => k.name === name);
    const key = existing ?? { name, value, comment: '' };
    key.value = value;
    key.comment = goTrim(comment);
    comment = '';
    if (!existing) section.keys.push(key);
  }
  return sections;
}

/** go-ini's File.WriteTo with the package defaults (PrettyFormat, PrettySection). */
export function writeIni(sections: readonly IniSection[]): string {
  let out = '';
  const byteLen = (s: string): number => Buffer.byteLength(s, 'utf8');
  sections.forEach((sec, i) => {
    if (sec.comment.length > 0) {
      for (const l of sec.comment.split('\n')) {
        out += `${l[0] === '#' || l[0] === ';' ? `${l[0]} ${goTrim(l.slice(1))}` : `; ${l}`}\n`;
      }
    }
    if (i > 0 || sec.name.toUpperCase() !== 'DEFAULT') out += `[${sec.name}]\n`;
    else if (sec.keys.length === 0) return;
    let align = 0;
    for (const k of sec.keys) {
      let len = byteLen(k.name);
      if (k.name.includes('"') || /[=:]/.test(k.name)) len += 2;
      else if (k.name.includes('`')) len += 6;
      align = Math.max(align, len);
    }
    for (const k of sec.keys) {
      if (k.comment.length > 0) {
        for (const l of k.comment.split('\n')) {
          out += `${l[0] === '#' || l[0] === ';' ? `${l[0]} ${goTrim(l.slice(1))}` : `; ${goTrim(l)}`}\n`;
        }
      }
      let name = k.name;
      if (name.includes('"') || /[=:]/.test(name)) name = `\`${name}\``;
      else if (name.includes('`')) name = `"""${name}"""`;
      let val = k.value;
      if (/[\n`]/.test(val)) val = `"""${val}"""`;
      else if (/[#;]/.test(val)) val = `\`${val}\``;
      else if (goTrim(val).length !== val.length) val = `"${val}"`;
      out += `${name}${' '.repeat(Math.max(0, align - byteLen(name)))} = ${val}\n`;
    }
    out += '\n';
  });
  return out;
}
