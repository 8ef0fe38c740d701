// Integration tests talk to real servers; a failed assertion should not also leave a test hanging
// on an open handle for the default 5 s, so every test file gets the workspace's timeout.
jest.setTimeout(Number(process.env.HANDOFF_TEST_TIMEOUT_MS ?? 60_000));
