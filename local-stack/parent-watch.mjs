// Preloaded (`node --import`) into the local ECS task: when the launcher that started it goes away
// without stopping it (killed, crashed), the IPC channel closes and the task gets the SIGTERM ECS
// would send, so nothing keeps running on its own. It changes nothing else in the server.
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
