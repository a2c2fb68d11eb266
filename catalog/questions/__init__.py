"""Product questions (问答): a signed-in buyer asks on the public product page, the producer's members answer
once (and may edit the answer), the answered questions are listed under the product's ratings, and an abusive
question is hidden by the producer, the county's reviewer or an admin."""
