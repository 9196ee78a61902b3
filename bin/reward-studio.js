#!/usr/bin/env node
// The installed `reward-studio` command: the bundled CLI in dist/ (built by `npm run build`).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write(`reward-studio: ${cli} is missing — run 'npm run build' in ${path.dirname(__dirname)} first.\n`);
  process.exit(1);
}
require(cli);
