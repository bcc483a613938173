import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { escapeHtml, html, raw } from '../../src/pages/views/html.ts';

test('escapeHtml escapes every character that can end text or an attribute', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&\`</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;');
});

test('escaped text never contains markup characters', () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      assert.doesNotMatch(escapeHtml(s), /[<>"'`]/);
    }),
  );
});

test('html escapes interpolated text and numbers but keeps raw and nested fragments', () => {
  const inner = html`<b>${'<i>'}</b>`;
  const out = html`<p title="${'"x"'}">${'<script>'}${42}${inner}${raw('<hr>')}</p>`;
  assert.equal(out.value, '<p title="&quot;x&quot;">&lt;script&gt;42<b>&lt;i&gt;</b><hr></p>');
});

test('html renders lists and leaves out null, undefined and false', () => {
  const items = ['<a>', 'b'].map((x) => html`<li>${x}</li>`);
  assert.equal(html`<ul>${items}</ul>${null}${undefined}${false}`.value, '<ul><li>&lt;a&gt;</li><li>b</li></ul>');
  assert.equal(html`${['<x>', raw('<y>')]}`.value, '&lt;x&gt;<y>');
});
