"""Quality sampling (抽检): a county reviewer records a sample taken from a batch (where, by whom, the
lab, the items tested, the lab's report) and its result; a failed result holds the batch and every batch
made from it at once and offers the recall; the result shows on the batch's trace page and costs the
producer standing."""
