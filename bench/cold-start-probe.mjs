// Run by bench/cold-start.bench.ts in a fresh node process: import a Lambda bundle and answer
// one ALB event, printing the times as one JSON line. Plain JavaScript, so no loader is measured.
// Arguments: the bundle, then optionally the event's path, method and JSON body.
// Wall times, and the CPU time this process spent on the same spans (steadier on a busy machine).
const started = performance.now();
const cpuStarted = process.cpuUsage();
const module = await import(process.argv[2]);
const imported = performance.now();
const cpuImported = process.cpuUsage(cpuStarted);
const event = {
  requestContext: {
    elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/cold/1' },
  },
  httpMethod: process.argv[4] ?? 'GET',
  path: process.argv[3] ?? '/leads/cold-1',
  queryStringParameters: {},
  headers: {
    host: 'cold.example.com',
    'x-forwarded-for': '203.0.113.7',
    ...(process.argv[5] === undefined ? {} : { 'content-type': 'application/json' }),
  },
  body: process.argv[5] ?? '',
  isBase64Encoded: false,
};
const context = { awsRequestId: 'cold', functionName: 'cold', getRemainingTimeInMillis: () => 30_000 };
const result = await module.handler(event, context);
const answered = performance.now();
const cpu = process.cpuUsage(cpuStarted);
const ms = (usage) => (usage.user + usage.system) / 1000;
process.stdout.write(
  `${JSON.stringify({
    importMs: imported - started,
    firstEventMs: answered - imported,
    totalMs: answered - started,
    importCpuMs: ms(cpuImported),
    totalCpuMs: ms(cpu),
    status: result.statusCode,
  })}\n`,
);
process.exit(0);
