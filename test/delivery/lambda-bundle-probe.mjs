// Runs in a fresh node process: imports a built Lambda bundle (as the Lambda runtime would) and
// sends it the ALB events given as JSON in argv[3], printing the results as one JSON line.
const module = await import(process.argv[2]);
const events = JSON.parse(process.argv[3]);
const results = [];
for (const event of events) {
  const context = {
    awsRequestId: `probe-${results.length}`,
    functionName: 'probe',
    getRemainingTimeInMillis: () => 30_000,
  };
  results.push(await module.handler(event, context));
}
process.stdout.write(`${JSON.stringify(results)}\n`);
process.exit(0);
