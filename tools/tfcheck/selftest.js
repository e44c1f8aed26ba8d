#!/usr/bin/env node
'use strict';
// Self-test of tfcheck: copies terraform/ to a temporary directory, checks that the copy passes, then
// applies one deliberate mistake at a time and asserts that the checker fails and names it.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const SRC = path.resolve(__dirname, '..', '..', 'terraform');
const CHECKER = path.join(__dirname, 'index.js');

const cases = [
  {
    name: 'misspelt resource argument',
    file: 'modules/lambda_function/main.tf',
    from: /^(\s*)memory_size(\s*)=/m,
    to: '$1memory_sise$2=',
    expect: 'unknown argument or block "memory_sise"',
  },
  {
    name: 'missing required resource argument',
    file: 'modules/lambda_function/main.tf',
    from: /^\s*role\s*=\s*aws_iam_role\.this\.arn\s*\n/m,
    to: '',
    expect: 'missing required argument "role"',
  },
  {
    name: 'misspelt argument in a nested block',
    file: 'modules/site/main.tf',
    from: /^(\s*)origin_protocol_policy(\s*)=/m,
    to: '$1origin_protocol_polcy$2=',
    expect: 'unknown argument or block "origin_protocol_polcy"',
  },
  {
    name: 'missing required nested block',
    file: 'modules/site/main.tf',
    from: /^  restrictions \{\n    geo_restriction \{\n[\s\S]*?\n    \}\n  \}\n/m,
    to: '',
    expect: 'missing required block "restrictions"',
  },
  {
    name: 'unknown data source attribute',
    file: 'modules/network/main.tf',
    // region is provider 6's name for it; 5.100 has name.
    from: /data\.aws_region\.current\.name\b/,
    to: 'data.aws_region.current.region',
    expect: 'has no attribute "region"',
  },
  {
    name: 'module call with an undeclared variable',
    file: 'usecases/backend/main.tf',
    from: /^(\s*)authorizer_cache_ttl(\s*)=(.*)$/m,
    to: '$1authorizer_cache_ttl$2=$3\n$1authoriser_cache_ttl = 300',
    expect: 'passes "authoriser_cache_ttl", which',
  },
  {
    name: 'module call without a required variable',
    file: 'usecases/foundation/main.tf',
    from: /^\s*security_group_id\s*=\s*module\.network\.bastion_security_group_id\s*\n/m,
    to: '',
    expect: 'does not pass required variable "security_group_id"',
  },
  {
    name: 'reference to a missing module output',
    file: 'usecases/backend/main.tf',
    from: /module\.api\.rest_api_name/,
    to: 'module.api.api_name',
    expect: 'has no output "api_name"',
  },
  {
    name: 'provider constraint that excludes the checked schema',
    file: 'modules/photos/versions.tf',
    from: /^(\s*)version(\s*)=\s*"[^"]*"/m,
    to: '$1version$2= ">= 6.0, < 7.0"',
    expect: 'does not admit 5.100.0',
  },
  {
    name: 'reference to a missing remote-state output',
    file: 'usecases/storefront/main.tf',
    from: /local\.backend\.api_origin_domain_name/,
    to: 'data.terraform_remote_state.backend.outputs.api_domain',
    expect: 'has no output "api_domain"',
  },
];

function run(dir) {
  const r = spawnSync(process.execPath, [CHECKER, path.join(dir, 'terraform')], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function copyTree(dest) {
  fs.cpSync(SRC, path.join(dest, 'terraform'), {
    recursive: true,
    filter: (p) => !p.split(path.sep).includes('.terraform'),
  });
}

let failed = 0;
let passed = 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfcheck-selftest-'));
try {
  const base = path.join(tmp, 'base');
  copyTree(base);
  const b = run(base);
  if (b.code === 0) {
    passed++;
    console.log('ok   unmodified copy passes');
  } else {
    failed++;
    console.log(`FAIL unmodified copy does not pass:\n${b.out}`);
  }

  cases.forEach((c, i) => {
    const dir = path.join(tmp, `case${i}`);
    copyTree(dir);
    const file = path.join(dir, 'terraform', c.file);
    const src = fs.readFileSync(file, 'utf8');
    const mutated = src.replace(c.from, c.to);
    if (mutated === src) {
      failed++;
      console.log(`FAIL ${c.name}: the mutation found nothing to change in ${c.file} (update the self-test)`);
      return;
    }
    fs.writeFileSync(file, mutated);
    const r = run(dir);
    if (r.code !== 0 && r.out.includes(c.expect)) {
      passed++;
      console.log(`ok   ${c.name} is reported`);
    } else {
      failed++;
      console.log(`FAIL ${c.name}: want exit 1 and "${c.expect}", got exit ${r.code}:\n${r.out}`);
    }
  });
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

console.log(`tfcheck selftest: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
