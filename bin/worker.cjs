// A worker process (spawned by the leader, or by native/launcher/launch.c beside it).
'use strict';
require('./run-bundle.cjs').run('worker');
