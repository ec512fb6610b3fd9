#!/usr/bin/env node
process.stderr.write("distcc-client: not implemented yet\n");
process.exit(1);
