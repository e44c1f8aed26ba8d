#!/usr/bin/env node
'use strict';
// tfcheck: offline static checks of the Terraform tree against the AWS provider
// schema (from @cdktf/provider-aws) and against the local modules' interfaces.
//
//   node index.js [dir ...]      (default: ../../terraform relative to this file)
//
// For every directory holding *.tf files it checks that
//   - every resource / data block of an aws_* type exists in the provider, uses
//     only arguments and blocks of its schema (nested blocks and dynamic blocks
//     too) and sets every required argument and block;
//   - references aws_x.name.attr / data.aws_x.name.attr point at a block declared
//     in the same directory and at an attribute the type exports;
//   - every var.X and local.X it reads is declared;
//   - every module call with a local source passes only declared variables and
//     every variable without a default, and every module.X.Y it reads is an
//     output of that module;
//   - data.terraform_remote_state.N.outputs.Y names an output of the sibling
//     root configuration ../N when there is one (or a key of its defaults);
//   - its required_providers version constraint of hashicorp/aws admits the
//     provider version whose schema this checks against, so that the check
//     and the configuration cannot drift apart.
// With --targets FILE (setup.sh), every `-target=ADDRESS` of a `tf <usecase> …`
// command in FILE must name a module or resource declared along that path from
// usecases/<usecase>: Terraform silently does nothing with a target that names
// nothing, so a renamed resource would quietly break a step such as emptying
// the buckets before destroy.
// Exit status 1 when anything is wrong.

const fs = require('fs');
const path = require('path');
const { parse } = require('@cdktf/hcl2json');
const schemaLib = require('./schema');

const META_RESOURCE = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'provisioner', 'connection']);
const META_MODULE = new Set(['source', 'version', 'providers', 'count', 'for_each', 'depends_on']);
const ID = '[A-Za-z_][A-Za-z0-9_-]*';
const INDEX = '(?:\\[[^\\]]*\\])?';

function listTfDirs(root) {
  const dirs = [];
  (function walk(d) {
    const entries = fs.readdirSync(d, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name.endsWith('.tf'))) dirs.push(d);
    for (const e of entries) {
      if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules') walk(path.join(d, e.name));
    }
  })(root);
  return dirs.sort();
}

async function loadDir(dir) {
  const mod = { dir, resource: {}, data: {}, module: {}, variable: {}, output: {}, locals: {}, files: [] };
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.tf')).sort();
  for (const f of files) {
    const file = path.join(dir, f);
    let doc;
    try {
      doc = await parse(file, fs.readFileSync(file, 'utf8'));
    } catch (e) {
      mod.parseError = `${file}: cannot parse: ${e.message || e}`;
      return mod;
    }
    mod.files.push({ file, doc });
    for (const kind of ['resource', 'data']) {
      for (const [type, byName] of Object.entries(doc[kind] || {})) {
        for (const [name, bodies] of Object.entries(byName)) {
          mod[kind][`${type}.${name}`] = { type, name, body: bodies[0], file };
        }
      }
    }
    for (const kind of ['module', 'variable', 'output']) {
      for (const [name, bodies] of Object.entries(doc[kind] || {})) mod[kind][name] = { body: bodies[0], file };
    }
    for (const block of doc.locals || []) for (const name of Object.keys(block)) mod.locals[name] = { file };
  }
  return mod;
}

// All strings (values and object keys) in a parsed value.
function strings(v, out = []) {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      strings(x, out);
    }
  }
  return out;
}

// The expression text inside every ${ ... } of a string.
function interpolations(s) {
  const out = [];
  let i = s.indexOf('${');
  while (i >= 0) {
    let depth = 0;
    let j = i + 1;
    for (; j < s.length; j++) {
      if (s[j] === '{') depth++;
      else if (s[j] === '}' && --depth === 0) break;
    }
    out.push(s.slice(i + 2, j));
    i = s.indexOf('${', j);
  }
  return out;
}

function checkBlock(schema, structFqn, body, where, errors) {
  const attrs = schema.structs[structFqn].attrs;
  const present = new Set();
  for (const [key, value] of Object.entries(body)) {
    if (key === 'dynamic') {
      for (const [name, dyns] of Object.entries(value)) {
        const a = attrs[name];
        if (!a || !a.nested) {
          errors.push(`${where}: dynamic "${name}": no such block in the provider schema`);
          continue;
        }
        present.add(name);
        for (const d of dyns) {
          for (const content of d.content || []) checkBlock(schema, a.nested, content, `${where}.${name}`, errors);
        }
      }
      continue;
    }
    const a = attrs[key];
    if (!a) {
      errors.push(`${where}: unknown argument or block "${key}"${suggest(key, Object.keys(attrs))}`);
      continue;
    }
    present.add(key);
    if (a.nested && a.block) {
      if (Array.isArray(value) && value.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
        if (!a.list && value.length > 1) errors.push(`${where}: block "${key}" may appear only once`);
        value.forEach((x) => checkBlock(schema, a.nested, x, `${where}.${key}`, errors));
      } else if (value && typeof value === 'object' && !Array.isArray(value)) {
        errors.push(`${where}: "${key}" is a block: write ${key} { ... }, not ${key} = { ... }`);
      }
    }
  }
  for (const [name, a] of Object.entries(attrs)) {
    if (a.required && !present.has(name)) errors.push(`${where}: missing required ${a.nested ? 'block' : 'argument'} "${name}"`);
  }
}

function suggest(key, names) {
  let best = null;
  let bestD = 3;
  for (const n of names) {
    const d = distance(key, n);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

function distance(a, b) {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) dp[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length][b.length];
}

function rel(p) {
  return path.relative(process.cwd(), p) || '.';
}

// Terraform version constraints ("= 1.2.3", ">= 5.100, < 6.0", "~> 5.100"): does `version` satisfy `constraint`?
function parseVersion(v) {
  const parts = v.trim().replace(/^v/, '').split('.');
  if (!parts.every((p) => /^[0-9]+$/.test(p))) return null;
  return parts.map(Number);
}

function compareVersions(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] || 0) - (b[i] || 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

function satisfies(version, constraint) {
  const v = parseVersion(version);
  if (!v) return false;
  return constraint.split(',').every((term) => {
    const m = /^\s*(>=|<=|!=|~>|=|>|<)?\s*([0-9][0-9.]*)\s*$/.exec(term);
    if (!m) return false;
    const want = parseVersion(m[2]);
    const c = compareVersions(v, want);
    switch (m[1] || '=') {
      case '=':
        return c === 0;
      case '!=':
        return c !== 0;
      case '>':
        return c > 0;
      case '>=':
        return c >= 0;
      case '<':
        return c < 0;
      case '<=':
        return c <= 0;
      default: {
        // ~> x.y allows x.y and later x.*; ~> x.y.z allows x.y.z and later x.y.*
        const upper = want.slice(0, Math.max(1, want.length - 1));
        upper[upper.length - 1]++;
        return c >= 0 && compareVersions(v, upper) < 0;
      }
    }
  });
}

// The hashicorp/aws version constraints of a directory's terraform { required_providers } blocks.
function awsConstraints(mod) {
  const out = [];
  for (const { file, doc } of mod.files) {
    for (const tf of doc.terraform || []) {
      for (const rp of tf.required_providers || []) {
        for (const p of Object.values(rp)) {
          if (p && typeof p === 'object' && /^(registry\.terraform\.io\/)?hashicorp\/aws$/.test(p.source || '')) {
            out.push({ file, version: p.version });
          }
        }
      }
    }
  }
  return out;
}

function checkModule(mod, mods, schema, errors, stats) {
  const dirRel = rel(mod.dir);
  // 0. the provider version this checks against is one the configuration accepts
  for (const c of awsConstraints(mod)) {
    stats.constraints++;
    if (typeof c.version !== 'string') {
      errors.push(`${rel(c.file)}: required_providers hashicorp/aws has no version constraint`);
    } else if (!satisfies(schema.providerVersion, c.version)) {
      errors.push(
        `${rel(c.file)}: required_providers hashicorp/aws "${c.version}" does not admit ${schema.providerVersion}, the version whose schema tfcheck checks against (tools/tfcheck/package.json): they must agree`,
      );
    }
  }
  // 1. resources and data sources against the provider schema
  for (const kind of ['resource', 'data']) {
    for (const [key, r] of Object.entries(mod[kind])) {
      if (!r.type.startsWith('aws_')) continue;
      stats[kind]++;
      const where = `${rel(r.file)}: ${kind === 'data' ? 'data.' : ''}${key}`;
      const s = schema[kind][r.type];
      if (!s) {
        errors.push(`${where}: the AWS provider has no ${kind === 'data' ? 'data source' : 'resource type'} "${r.type}"`);
        continue;
      }
      const body = {};
      for (const [k, v] of Object.entries(r.body)) if (!META_RESOURCE.has(k)) body[k] = v;
      checkBlock(schema, s.config, body, where, errors);
    }
  }

  // 2. module calls against the called module's variables
  for (const [name, m] of Object.entries(mod.module)) {
    stats.module++;
    const where = `${rel(m.file)}: module.${name}`;
    const source = m.body.source;
    if (typeof source !== 'string' || !/^\.\.?\//.test(source)) continue;
    const target = mods.get(path.resolve(mod.dir, source));
    if (!target) {
      errors.push(`${where}: source "${source}" is not a directory of .tf files`);
      continue;
    }
    for (const arg of Object.keys(m.body)) {
      if (META_MODULE.has(arg)) continue;
      if (!target.variable[arg]) errors.push(`${where}: passes "${arg}", which ${rel(target.dir)} does not declare${suggest(arg, Object.keys(target.variable))}`);
    }
    for (const [v, decl] of Object.entries(target.variable)) {
      if (!Object.prototype.hasOwnProperty.call(decl.body, 'default') && !(v in m.body)) {
        errors.push(`${where}: does not pass required variable "${v}" of ${rel(target.dir)}`);
      }
    }
  }

  // 3. references in expressions
  const moduleRe = new RegExp(`(?<![\\w.])module\\.(${ID})${INDEX}(?:\\.(${ID}))?`, 'g');
  const varRe = new RegExp(`(?<![\\w.])var\\.(${ID})`, 'g');
  const localRe = new RegExp(`(?<![\\w.])local\\.(${ID})`, 'g');
  const dataRe = new RegExp(`(?<![\\w.])data\\.([a-z][a-z0-9_]*)\\.(${ID})${INDEX}(?:\\.(${ID}))?(?:\\.(${ID}))?`, 'g');
  const resRe = new RegExp(`(?<![\\w.])(aws_[a-z0-9_]+)\\.(${ID})${INDEX}(?:\\.(${ID}))?`, 'g');
  const seen = new Set();
  const once = (msg) => {
    if (!seen.has(msg)) {
      seen.add(msg);
      errors.push(msg);
    }
  };
  for (const { file, doc } of mod.files) {
    const where = rel(file);
    for (const s of strings(doc)) {
      for (const expr of interpolations(s)) {
        let m;
        while ((m = moduleRe.exec(expr)) !== null) {
          const call = mod.module[m[1]];
          if (!call) {
            once(`${where}: module.${m[1]} is not declared in ${dirRel}`);
            continue;
          }
          const src = call.body.source;
          const target = typeof src === 'string' && /^\.\.?\//.test(src) ? mods.get(path.resolve(mod.dir, src)) : null;
          if (target && m[2] && !target.output[m[2]]) {
            once(`${where}: module.${m[1]}.${m[2]}: ${rel(target.dir)} has no output "${m[2]}"${suggest(m[2], Object.keys(target.output))}`);
          }
        }
        while ((m = varRe.exec(expr)) !== null) {
          if (!mod.variable[m[1]]) once(`${where}: var.${m[1]} is not declared in ${dirRel}`);
        }
        while ((m = localRe.exec(expr)) !== null) {
          if (!mod.locals[m[1]]) once(`${where}: local.${m[1]} is not declared in ${dirRel}`);
        }
        while ((m = dataRe.exec(expr)) !== null) {
          const d = mod.data[`${m[1]}.${m[2]}`];
          if (!d) {
            once(`${where}: data.${m[1]}.${m[2]} is not declared in ${dirRel}`);
            continue;
          }
          if (m[1] === 'terraform_remote_state') {
            if (m[3] !== 'outputs' || !m[4]) continue;
            const sibling = mods.get(path.resolve(mod.dir, '..', m[2]));
            const defaults = d.body.defaults && typeof d.body.defaults === 'object' ? Object.keys(d.body.defaults) : [];
            if (sibling && !sibling.output[m[4]] && !defaults.includes(m[4])) {
              once(`${where}: data.terraform_remote_state.${m[2]}.outputs.${m[4]}: ${rel(sibling.dir)} has no output "${m[4]}"${suggest(m[4], Object.keys(sibling.output))}`);
            }
            continue;
          }
          const s = schema.data[m[1]];
          if (s && m[3] && !s.exported.includes(m[3])) once(`${where}: data.${m[1]}.${m[2]}.${m[3]}: data source ${m[1]} has no attribute "${m[3]}"`);
        }
        while ((m = resRe.exec(expr)) !== null) {
          if (expr.slice(Math.max(0, m.index - 5), m.index) === 'data.') continue;
          const r = mod.resource[`${m[1]}.${m[2]}`];
          if (!r) {
            once(`${where}: ${m[1]}.${m[2]} is not declared in ${dirRel}`);
            continue;
          }
          const s = schema.resource[m[1]];
          if (s && m[3] && !s.exported.includes(m[3])) once(`${where}: ${m[1]}.${m[2]}.${m[3]}: resource type ${m[1]} has no attribute "${m[3]}"`);
        }
      }
    }
  }
}

// checkTargets resolves each -target address of FILE's `tf <usecase> …`
// commands (continuation lines joined) in the loaded modules.
function checkTargets(file, root, mods, errors, stats) {
  const commands = fs.readFileSync(file, 'utf8').replace(/\\\n/g, ' ').split('\n');
  commands.forEach((line) => {
    const usecase = /^\s*tf\s+([a-z_]+)\s/.exec(line);
    if (!usecase) return;
    for (const [, address] of line.matchAll(/-target=(\S+)/g)) {
      stats.targets++;
      const where = `${path.basename(file)}: tf ${usecase[1]} -target=${address}`;
      let mod = mods.get(path.join(root, 'usecases', usecase[1]));
      const parts = address.split('.');
      while (mod && parts[0] === 'module') {
        const call = mod.module[parts[1]];
        const source = call && call.body.source;
        mod = typeof source === 'string' ? mods.get(path.resolve(mod.dir, source)) : undefined;
        if (!mod) break;
        parts.splice(0, 2);
      }
      const named = parts.length === 0 || (parts.length === 2 && mod && mod.resource[parts.join('.')]);
      if (!mod || !named) errors.push(`${where}: names nothing declared, so Terraform would silently skip it`);
    }
  });
}

async function main(argv) {
  let targets = null;
  const i = argv.indexOf('--targets');
  if (i >= 0) {
    targets = argv[i + 1];
    argv = argv.slice(0, i).concat(argv.slice(i + 2));
  }
  const roots = argv.length ? argv : [path.join(__dirname, '..', '..', 'terraform')];
  const schema = schemaLib.load();
  const errors = [];
  const stats = { dirs: 0, resource: 0, data: 0, module: 0, targets: 0, constraints: 0 };
  const mods = new Map();
  for (const root of roots) {
    if (!fs.existsSync(root)) {
      errors.push(`${root}: no such directory`);
      continue;
    }
    for (const d of listTfDirs(path.resolve(root))) {
      const mod = await loadDir(d);
      if (mod.parseError) errors.push(mod.parseError);
      mods.set(d, mod);
    }
  }
  for (const mod of mods.values()) {
    stats.dirs++;
    checkModule(mod, mods, schema, errors, stats);
  }
  if (targets) checkTargets(targets, path.resolve(roots[0]), mods, errors, stats);
  for (const e of errors) console.log(`ERROR ${e}`);
  console.log(
    `tfcheck: hashicorp/aws ${schema.providerVersion} schema (@cdktf/provider-aws ${schema.version}); ${stats.dirs} directories, ${stats.resource} resources, ${stats.data} data sources, ${stats.module} module calls, ${stats.constraints} provider constraints, ${stats.targets} setup.sh targets; ${errors.length} error(s)`,
  );
  return errors.length ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e);
      process.exit(2);
    },
  );
}

module.exports = { main, satisfies };
