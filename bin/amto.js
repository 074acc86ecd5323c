#!/usr/bin/env node
'use strict';
// The published entry: the compiled CLI (run `npm run build` first; `npm start` does).
require('../dist/cli/main.js');
