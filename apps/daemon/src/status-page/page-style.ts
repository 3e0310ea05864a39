import { BADGE_COLOURS } from '../badge.js';
import type { StatusReport } from '../daemon-core.js';

/**
 * The page's one inline style block (the CSP allows inline style and nothing else). Tables reflow
 * into "label: value" blocks below 40rem so a 390 px phone never scrolls sideways; long hashes wrap.
 */
export function pageStyle(state: StatusReport['state']): string {
  return `<style>
*, *::before, *::after { box-sizing: border-box; }
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; line-height: 1.4; }
h1 { font-size: 1.6rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 2px solid #eee; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin-bottom: .2rem; }
.state { display: inline-block; padding: .2rem .7rem; border-radius: .3rem; color: #fff; font-weight: 600; background: ${BADGE_COLOURS[state]}; }
table { border-collapse: collapse; margin: .6rem 0 1rem; width: 100%; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
th { font-weight: 500; color: #555; }
table.facts th { width: 14rem; }
code { font-size: .9em; overflow-wrap: anywhere; }
a { color: #0645ad; }
.error { color: #b00; overflow-wrap: anywhere; }
.note { color: #555; }
.engine-down { color: #b00; }
.reason { color: #444; font-size: .9em; margin-top: .2rem; overflow-wrap: anywhere; }
.pill { display: inline-block; padding: 0 .45rem; border-radius: .7rem; font-size: .85em; font-weight: 600; white-space: nowrap; }
.pill.ok { background: #dff3e4; color: #1a6b32; }
.pill.warn { background: #fff1d6; color: #8a5300; }
.pill.bad { background: #fde2e1; color: #a4161a; }
.pill.neutral { background: #eceff3; color: #444; }
.count { color: #555; font-size: .9em; }
td[data-label="Duration"], td[data-label="Restarts"] { white-space: nowrap; }
@media (max-width: 40rem) {
  body { margin: 1rem auto; padding: 0 .75rem; }
  table.facts th { width: auto; }
  table.facts th, table.facts td { display: block; border: 0; padding: .1rem 0; }
  table.facts tr { display: block; border-bottom: 1px solid #ddd; padding: .3rem 0; }
  table.reflow thead { display: none; }
  table.reflow, table.reflow tbody, table.reflow tr, table.reflow td { display: block; width: 100%; }
  table.reflow tr { border-bottom: 1px solid #ddd; padding: .4rem 0; }
  table.reflow td { border: 0; padding: .1rem 0; }
  table.reflow td::before { content: attr(data-label) ": "; color: #555; font-weight: 500; }
}
</style>`;
}
