import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stackName } from '../../infra/api-stack.js';
import { stackConfigs } from '../../infra/stack-config.js';
import { SYNTH_INPUT_VARIABLES } from '../../infra/synth-inputs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const jenkinsfile = readFileSync(join(root, 'Jenkinsfile'), 'utf8');
const scripts = Object.keys(
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: object }).scripts,
);

/** The body of `stage('name') { … }`, up to the next stage at the same indentation. */
function stage(name: string): string {
  const start = jenkinsfile.indexOf(`stage('${name}')`);
  if (start === -1) throw new Error(`no stage ${name}`);
  const next = jenkinsfile.slice(start + 1).search(/\n {4}stage\('/);
  return next === -1 ? jenkinsfile.slice(start) : jenkinsfile.slice(start, start + 1 + next);
}

describe('Jenkinsfile', () => {
  it('calls only npm scripts that exist', () => {
    const called = [...jenkinsfile.matchAll(/npm run ([\w:-]+)/g)].map(([, name]) => name);
    expect(called.length).toBeGreaterThan(3);
    for (const name of called) expect(scripts, `npm run ${name}`).toContain(name);
    expect(jenkinsfile).toMatch(/npm test/);
    expect(jenkinsfile).toMatch(/npm ci/);
  });

  it('passes synth exactly the variables synth reads', () => {
    const passed = [...stage('Synth').matchAll(/"([A-Z_]+)=/g)].map(([, name]) => name);
    expect(new Set(passed)).toEqual(new Set(SYNTH_INPUT_VARIABLES));
  });

  it('offers the environments the stacks define and plans in their synthesized directory', () => {
    const choices = /choice\(name: 'ENVIRONMENT', choices: \[([^\]]*)\]/.exec(jenkinsfile)?.[1] ?? '';
    const offered = [...choices.matchAll(/'([^']+)'/g)].map(([, env]) => env);
    expect(new Set(offered)).toEqual(new Set(Object.keys(stackConfigs)));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Groovy expression, literally, as the Jenkinsfile has it.
    const groovyEnvironment = '${params.ENVIRONMENT}';
    expect(jenkinsfile).toContain(`STACK_DIR = "cdktf.out/stacks/${stackName(groovyEnvironment)}"`);
  });

  it('has the parameters, options and stages of the pipeline in order', () => {
    for (const parameter of ["name: 'ENVIRONMENT'", "name: 'ROUTE_TARGETS'", "name: 'DEPLOY'"])
      expect(jenkinsfile).toContain(parameter);
    for (const option of ['timestamps()', 'timeout(', 'disableConcurrentBuilds()'])
      expect(jenkinsfile).toContain(option);
    const order = [
      'Install',
      'Lint and typecheck',
      'Test',
      'Build',
      'Synth',
      'Plan',
      'Approve',
      'Apply',
      'Smoke test',
    ];
    const positions = order.map((name) => jenkinsfile.indexOf(`stage('${name}')`));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('publishes JUnit, applies the saved plan under a per-environment lock after approval', () => {
    expect(stage('Test')).toMatch(/JUNIT_REPORT=reports\/junit\.xml npm test/);
    expect(stage('Test')).toMatch(/junit .*reports\/junit\.xml/);
    expect(stage('Plan')).toMatch(/terraform plan .*-out=tfplan/);
    expect(stage('Plan')).toMatch(/archiveArtifacts/);
    expect(stage('Approve')).toMatch(/input message: .* submitter: '[\w-]+'/);
    expect(stage('Approve')).toMatch(/params\.ENVIRONMENT == 'prod'/);
    expect(stage('Apply')).toMatch(/lock\(resource: "terraform-\$\{params\.ENVIRONMENT\}"\)/);
    expect(stage('Apply')).toMatch(/terraform apply .*tfplan/);
    expect(stage('Smoke test')).toMatch(/terraform output -raw alb_dns_name/);
    expect(readFileSync(join(root, 'infra', 'api-stack.ts'), 'utf8')).toContain("'alb_dns_name'");
  });

  it('archives the readable plan only and hands the binary plan (secrets in clear) to apply by stash', () => {
    const archived = [...jenkinsfile.matchAll(/archiveArtifacts[^\n]*artifacts: ([^,\n]*)/g)].map(
      ([, a]) => a,
    );
    expect(archived.some((a) => a?.includes('plan.txt'))).toBe(true);
    expect(archived.some((a) => /tfplan/.test(a ?? ''))).toBe(false);
    expect(stage('Plan')).toMatch(/stash name: 'tfplan', includes: 'tfplan'/);
    expect(stage('Apply')).toMatch(/unstash 'tfplan'[\s\S]*terraform apply/);
  });

  it('stops before planning when an HTTPS stack has no certificate ARN', () => {
    expect(stage('Synth')).toMatch(/contains\('"certificate_arn"'\)[^\n]*CERTIFICATE|certificateVariable/);
    expect(stage('Synth')).toMatch(/error\(/);
    expect(jenkinsfile.indexOf('error("The')).toBeLessThan(jenkinsfile.indexOf('terraform init'));
  });

  it('builds the images for linux/amd64, the architecture the task definitions pin', () => {
    const builds = [...stage('Build').matchAll(/docker build [^\n]*/g)].map(([line]) => line);
    expect(builds).toHaveLength(2);
    for (const line of builds) expect(line).toMatch(/--platform linux\/amd64/);
  });

  it('tags both images with the commit', () => {
    expect(jenkinsfile).toMatch(/API_IMAGE = ".*:\$\{env\.GIT_COMMIT\}"/);
    expect(jenkinsfile).toMatch(/SIMULATION_IMAGE = ".*:\$\{env\.GIT_COMMIT\}"/);
    expect(stage('Build')).toMatch(/docker build [^\n]*--target api/);
    expect(stage('Build')).toMatch(/docker build [^\n]*--target simulation/);
  });
});
