#!/usr/bin/env node
process.stderr.write("distcc-server: not implemented yet\n");
process.exit(1);
