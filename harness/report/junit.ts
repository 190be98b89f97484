/**
 * junit.xml for CI systems: one <testsuite> per conformance suite. `fail` and `xpass` are
 * <failure>s; `skip` and `n/a` are <skipped>; `xfail` and `warn` pass (the expectation reason is a
 * property, the warning is in <system-out>). Stale expectation entries are failures of a synthetic "expectations" suite.
 */
import { countOutcomes, type RunResult, type TestResult } from '../conform/runner.js';
import { escapeXml as x } from './xml.js';

const secs = (ms: number): string => (ms / 1000).toFixed(3);

function testcase(t: TestResult): string {
  const head = `    <testcase classname="${x(`agentsec.${t.suite}`)}" name="${x(t.id)}" time="${secs(t.duration_ms)}">`;
  const body: string[] = [];
  if (t.reqs.length > 0 || t.expectation) {
    body.push('      <properties>');
    if (t.reqs.length > 0) body.push(`        <property name="requirements" value="${x(t.reqs.join(','))}"/>`);
    body.push(`        <property name="outcome" value="${x(t.outcome)}"/>`);
    if (t.expectation) body.push(`        <property name="expectation" value="${x(t.expectation)}"/>`);
    body.push('      </properties>');
  }
  if (t.outcome === 'fail' || t.outcome === 'xpass') {
    const text = [t.message ?? '', t.reproduction ? `reproduce: ${t.reproduction}` : ''].filter(Boolean).join('\n');
    body.push(`      <failure message="${x(t.message ?? t.outcome)}" type="${x(t.fault ? `adapter_${t.fault}` : t.outcome)}">${x(text)}</failure>`);
  } else if (t.outcome === 'skip' || t.outcome === 'n/a') {
    body.push(`      <skipped message="${x(`${t.outcome}: ${t.message ?? ''}`)}"/>`);
  } else if (t.outcome === 'xfail' && t.message) {
    body.push(`      <system-out>${x(`expected failure: ${t.message}`)}</system-out>`);
  } else if (t.outcome === 'warn') {
    body.push(`      <system-out>${x(`warning: ${t.message ?? ''}`)}</system-out>`);
  }
  if (t.stderr) body.push(`      <system-err>${x(t.stderr)}</system-err>`);
  return body.length === 0 ? `${head.slice(0, -1)}/>` : [head, ...body, '    </testcase>'].join('\n');
}

export function toJunitXml(r: RunResult): string {
  const suites = [...new Set(r.tests.map((t) => t.suite))];
  const blocks: string[] = [];
  let failures = 0;
  let skipped = 0;
  for (const s of suites) {
    const tests = r.tests.filter((t) => t.suite === s);
    const c = countOutcomes(tests);
    const time = tests.reduce((a, t) => a + t.duration_ms, 0);
    failures += c.fail + c.xpass;
    skipped += c.skip + c['n/a'];
    blocks.push(`  <testsuite name="${x(s)}" tests="${c.total}" failures="${c.fail + c.xpass}" errors="0" skipped="${c.skip + c['n/a']}" time="${secs(time)}">`);
    blocks.push(...tests.map(testcase));
    blocks.push('  </testsuite>');
  }
  if (r.stale_expectations.length > 0) {
    failures += r.stale_expectations.length;
    blocks.push(`  <testsuite name="expectations" tests="${r.stale_expectations.length}" failures="${r.stale_expectations.length}" errors="0" skipped="0" time="0.000">`);
    for (const e of r.stale_expectations) {
      blocks.push(`    <testcase classname="agentsec.expectations" name="${x(`stale: ${e.pattern}`)}" time="0.000">`);
      blocks.push(`      <failure message="${x(`stale expectation entry "${e.pattern}" matches no test`)}" type="stale">${x(`expect ${e.expect}: ${e.reason}`)}</failure>`);
      blocks.push('    </testcase>');
    }
    blocks.push('  </testsuite>');
  }
  const total = r.tests.length + r.stale_expectations.length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${x(`agentsec conform (seed ${r.run.seed})`)}" tests="${total}" failures="${failures}" errors="0" skipped="${skipped}" time="${secs(r.run.duration_ms)}">`,
    ...blocks,
    '</testsuites>',
    '',
  ].join('\n');
}
