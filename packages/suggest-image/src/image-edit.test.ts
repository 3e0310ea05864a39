import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { SuggestImageError } from './errors.js';
import { containerNames, replaceContainerImage } from './image-edit.js';

const OLD = `registry.example.com/apps/webapp:20260428.0@sha256:${'a'.repeat(64)}`;
const NEW = `registry.example.com/apps/webapp:20260429.1@sha256:${'b'.repeat(64)}`;

/** The lines that differ between two texts of equal line count (fails when counts differ). */
function changedLines(before: string, after: string): Array<[string, string]> {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b.length).toBe(a.length);
  return a.flatMap((line, i) => (line === b[i] ? [] : ([[line, b[i] ?? '']] as Array<[string, string]>)));
}

describe('replaceContainerImage', () => {
  const cases: Array<{ name: string; text: string; line: string }> = [
    {
      name: 'plain scalar with comments around it',
      text: `# deployment of webapp\ndeployment:\n  name: webapp   # the label\ncontainers:\n  # the app\n  webapp:\n    image: ${OLD}   # pinned by CI\n    restart: unless-stopped\n`,
      line: `    image: ${NEW}   # pinned by CI`,
    },
    {
      name: 'double-quoted',
      text: `deployment: { name: webapp }\ncontainers:\n  webapp:\n    image: "${OLD}"\n`,
      line: `    image: "${NEW}"`,
    },
    {
      name: 'single-quoted',
      text: `deployment: { name: webapp }\ncontainers:\n  webapp:\n    image: '${OLD}'\n`,
      line: `    image: '${NEW}'`,
    },
    {
      name: 'flow map',
      text: `deployment: { name: webapp }\ncontainers:\n  worker: { image: ${OLD}, command: [sleep, "1"] }\n  webapp: { image: ${OLD}, restart: always }\n`,
      line: `  webapp: { image: ${NEW}, restart: always }`,
    },
    {
      name: 'quoted container key, image not the first key',
      text: `deployment: { name: webapp }\ncontainers:\n  "webapp":\n    env: { A: "1" }\n    image: ${OLD}\n`,
      line: `    image: ${NEW}`,
    },
  ];
  for (const c of cases) {
    it(`changes exactly one line: ${c.name}`, () => {
      const edit = replaceContainerImage(c.text, 'webapp', NEW);
      expect(edit.oldImage).toBe(OLD);
      const diff = changedLines(c.text, edit.text);
      expect(diff).toHaveLength(1);
      expect(diff[0]?.[1]).toBe(c.line);
      expect(edit.text.split('\n')[edit.line - 1]).toBe(c.line);
    });
  }

  it('keeps CRLF line ends and every other byte', () => {
    const text = `deployment:\r\n  name: webapp\r\ncontainers:\r\n  webapp:\r\n    image: ${OLD}\r\n    ports: ["8080:8080"]\r\n`;
    const edit = replaceContainerImage(text, 'webapp', NEW);
    expect(edit.text).toBe(text.replace(OLD, NEW));
    expect(edit.text.match(/\r\n/g)).toHaveLength(6);
  });

  it('leaves anchors and aliases elsewhere untouched', () => {
    const text = `x-env: &env { LOG: info }\ndeployment: { name: webapp }\ncontainers:\n  webapp:\n    image: ${OLD}\n    env: *env\n  worker:\n    image: ${OLD}\n    env: *env\n`;
    const edit = replaceContainerImage(text, 'webapp', NEW);
    expect(changedLines(text, edit.text)).toEqual([[`    image: ${OLD}`, `    image: ${NEW}`]]);
    const data = parseDocument(edit.text).toJS();
    expect(data.containers.worker.image).toBe(OLD);
    expect(data.containers.webapp.env).toEqual({ LOG: 'info' });
  });

  it('only touches the named container when another has the same image', () => {
    const text = `deployment: { name: w }\ncontainers:\n  worker:\n    image: ${OLD}\n  webapp:\n    image: ${OLD}\n`;
    const edit = replaceContainerImage(text, 'webapp', NEW);
    expect(edit.text).toBe(
      `deployment: { name: w }\ncontainers:\n  worker:\n    image: ${OLD}\n  webapp:\n    image: ${NEW}\n`,
    );
  });

  it('refuses an aliased or anchored image and block scalars, naming the key', () => {
    const base = `deployment: { name: w }\ncontainers:\n  a:\n    image: &img ${OLD}\n  webapp:\n`;
    expect(() => replaceContainerImage(`${base}    image: *img\n`, 'webapp', NEW)).toThrow(
      /containers\.webapp\.image is an alias/,
    );
    expect(() => replaceContainerImage(base.replace('  webapp:\n', ''), 'a', NEW)).toThrow(
      /carries the anchor &img/,
    );
    expect(() => replaceContainerImage(`${base}    image: >-\n      ${OLD}\n`, 'webapp', NEW)).toThrow(
      /BLOCK_FOLDED scalar/,
    );
  });

  it('names the known containers for an unknown one', () => {
    const text = `deployment: { name: w }\ncontainers:\n  web: { image: ${OLD} }\n  db: { image: ${OLD} }\n`;
    const error = (() => {
      try {
        replaceContainerImage(text, 'webapp', NEW, 'host/stow.yaml');
      } catch (e) {
        return e as SuggestImageError;
      }
    })();
    expect(error).toBeInstanceOf(SuggestImageError);
    expect(error?.code).toBe('UNKNOWN_CONTAINER');
    expect(error?.message).toBe('host/stow.yaml: no container "webapp" (known containers: web, db)');
    expect(containerNames(text)).toEqual(['web', 'db']);
  });
});
