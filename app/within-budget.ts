/** Waits for `work` at most `budgetMs`; what is still running then is left behind. */
export async function withinBudget(work: Promise<unknown>, budgetMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, budgetMs));
    }),
  ]);
  clearTimeout(timer);
}
