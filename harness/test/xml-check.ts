/**
 * A strict well-formedness check for the XML the reports write: one root element, balanced and
 * properly nested tags, quoted attributes, only the five predefined entities and character
 * references, no '<' in text or attribute values, and no characters XML 1.0 forbids.
 */
const NAME = '[A-Za-z_:][-A-Za-z0-9_:.]*';
const ENTITY = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/y;
// eslint-disable-next-line no-control-regex -- forbidden control characters are what this finds
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

function checkText(s: string, where: string): void {
  if (s.includes('<')) throw new Error(`unescaped '<' in ${where}`);
  for (let i = s.indexOf('&'); i >= 0; i = s.indexOf('&', i + 1)) {
    ENTITY.lastIndex = i;
    if (!ENTITY.test(s)) throw new Error(`bad entity in ${where}: ${JSON.stringify(s.slice(i, i + 12))}`);
  }
}

export function checkWellFormedXml(xml: string): void {
  if (FORBIDDEN.test(xml)) throw new Error('forbidden character in XML');
  let rest = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  const tag = new RegExp(`^<(/?)(${NAME})((?:\\s+${NAME}\\s*=\\s*"[^"]*")*)\\s*(/?)>`);
  while (rest.length > 0) {
    const lt = rest.indexOf('<');
    const text = lt < 0 ? rest : rest.slice(0, lt);
    if (text.length > 0) {
      if (stack.length === 0 && text.trim() !== '') throw new Error('text outside the root element');
      checkText(text, 'text');
    }
    if (lt < 0) break;
    rest = rest.slice(lt);
    const m = tag.exec(rest);
    if (!m) throw new Error(`malformed tag near ${JSON.stringify(rest.slice(0, 60))}`);
    const [all, close, name, attrs, selfClose] = m;
    for (const a of (attrs ?? '').matchAll(/"([^"]*)"/g)) checkText(a[1]!, `attribute of <${name}>`);
    if (close) {
      if (stack.pop() !== name) throw new Error(`mismatched </${name}>`);
    } else {
      if (stack.length === 0) roots++;
      if (!selfClose) stack.push(name!);
    }
    rest = rest.slice(all.length);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]}>`);
  if (roots !== 1) throw new Error(`expected one root element, found ${roots}`);
}
