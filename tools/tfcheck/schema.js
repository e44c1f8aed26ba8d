'use strict';
// Builds a compact schema of the hashicorp/aws provider from the npm package
// @cdktf/provider-aws (generated from the provider's own schema):
//   - argument names and optional/required marks come from the package's .jsii
//     assembly (each property links to its registry anchor, which is the
//     Terraform argument name);
//   - whether a nested type is written as a block comes from isBlock in
//     lib/<resource>/index.js;
//   - exported (computed) attribute names come from the resource class getters.
// The result is cached next to the package, keyed by its version.

const fs = require('fs');
const path = require('path');

const PKG_DIR = path.dirname(require.resolve('@cdktf/provider-aws/package.json'));
const ASSEMBLY = '@cdktf/provider-aws';

function camelToSnake(name) {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

function lowerFirst(s) {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

// Terraform argument name from the registry link in the property docs.
function tfName(prop) {
  const text = `${prop.docs && prop.docs.summary ? prop.docs.summary : ''} ${prop.docs && prop.docs.remarks ? prop.docs.remarks : ''}`;
  const m = text.match(/registry\.terraform\.io\/providers\/hashicorp\/aws\/[^/]+\/docs\/(?:resources|data-sources)\/[a-z0-9_]+#([a-z0-9_]+)/);
  return m ? m[1] : null;
}

// The nested struct (if any) that a property type refers to, and whether it is a list.
function nestedStruct(type, types) {
  if (!type) return null;
  if (type.fqn) {
    const t = types[type.fqn];
    if (t && t.datatype && type.fqn.startsWith(`${ASSEMBLY}.`)) return { fqn: type.fqn, list: false };
    return null;
  }
  if (type.collection) {
    if (type.collection.kind !== 'array') return null;
    const inner = nestedStruct(type.collection.elementtype, types);
    return inner ? { fqn: inner.fqn, list: true } : null;
  }
  if (type.union) {
    for (const t of type.union.types) {
      const inner = nestedStruct(t, types);
      if (inner) return inner;
    }
  }
  return null;
}

// isBlock marks per HCL-synthesis function in a lib/<dir>/index.js file.
// Returns { '<functionName>': { attr: isBlock }, '#top': { attr: isBlock } }.
function blockMarks(file) {
  const marks = {};
  let src;
  try {
    src = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return marks;
  }
  const sections = [];
  const fnRe = /^function (\w+)ToHclTerraform\(struct\) \{$/gm;
  let m;
  while ((m = fnRe.exec(src)) !== null) sections.push({ name: m[1], start: m.index });
  const top = src.indexOf('synthesizeHclAttributes() {');
  if (top >= 0) sections.push({ name: '#top', start: top });
  sections.sort((a, b) => a.start - b.start);
  const attrRe = /^ +(\w+): \{\n +value: [^\n]*\n +isBlock: (true|false)/gm;
  sections.forEach((s, i) => {
    const body = src.slice(s.start, i + 1 < sections.length ? sections[i + 1].start : src.length);
    const attrs = {};
    let a;
    while ((a = attrRe.exec(body)) !== null) attrs[a[1]] = a[2] === 'true';
    marks[s.name] = attrs;
  });
  return marks;
}

function build() {
  const jsii = JSON.parse(fs.readFileSync(path.join(PKG_DIR, '.jsii'), 'utf8'));
  const types = jsii.types;
  const structs = {}; // fqn -> { attrs }
  const out = { version: jsii.version, resource: {}, data: {}, structs };
  const marksCache = {};

  function marksFor(fqn) {
    const t = types[fqn];
    const file = path.join(PKG_DIR, path.dirname(t.locationInModule.filename).replace(/^src/, 'lib'), 'index.js');
    if (!marksCache[file]) marksCache[file] = blockMarks(file);
    return marksCache[file];
  }

  function struct(fqn, fnName) {
    if (structs[fqn]) return fqn;
    const t = types[fqn];
    const attrs = {};
    structs[fqn] = { attrs };
    const marks = marksFor(fqn)[fnName] || {};
    for (const p of t.properties || []) {
      const name = tfName(p);
      if (!name) continue; // meta-arguments inherited from cdktf
      const a = { required: !p.optional };
      const n = nestedStruct(p.type, types);
      if (n) {
        a.nested = struct(n.fqn, `${lowerFirst(types[n.fqn].name)}`);
        a.list = n.list;
        a.block = marks[name] !== undefined ? marks[name] : true;
      }
      attrs[name] = a;
    }
    return fqn;
  }

  for (const [fqn, t] of Object.entries(types)) {
    if (t.kind !== 'class' || !t.docs || !t.docs.summary) continue;
    const m = t.docs.summary.match(/docs\/(resources|data-sources)\/([a-z0-9_]+) (aws_[a-z0-9_]+)\}/);
    if (!m) continue;
    const kind = m[1] === 'resources' ? 'resource' : 'data';
    const cfg = t.initializer && t.initializer.parameters && t.initializer.parameters.find((p) => p.name === 'config');
    if (!cfg || !cfg.type.fqn) continue;
    const cfgFqn = struct(cfg.type.fqn, '#top');
    // exported attributes: class getters (computed) plus every argument
    const exported = new Set(Object.keys(structs[cfgFqn].attrs));
    for (const p of t.properties || []) {
      if (p.static || p.protected || p.name.endsWith('Input')) continue;
      exported.add(camelToSnake(p.name));
    }
    exported.add('id');
    out[kind][m[3]] = { config: cfgFqn, exported: [...exported].sort() };
    const pv = t.docs.summary.match(/providers\/hashicorp\/aws\/([0-9.]+)\//);
    if (pv) out.providerVersion = pv[1];
  }
  // the top-level struct marks are keyed '#top' per file; re-resolve nested marks
  return out;
}

function load() {
  const version = JSON.parse(fs.readFileSync(path.join(PKG_DIR, 'package.json'), 'utf8')).version;
  const cacheDir = path.join(__dirname, 'node_modules', '.cache');
  // keyed by the package version and by this builder's own source
  const self = require('crypto').createHash('sha256').update(fs.readFileSync(__filename)).digest('hex').slice(0, 12);
  const cache = path.join(cacheDir, `aws-schema-${version}-${self}.json`);
  if (fs.existsSync(cache)) return JSON.parse(fs.readFileSync(cache, 'utf8'));
  const schema = build();
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.writeFileSync(cache, JSON.stringify(schema));
  return schema;
}

module.exports = { load, build, camelToSnake };
