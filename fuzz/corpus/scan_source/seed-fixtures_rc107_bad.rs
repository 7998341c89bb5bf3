use backoff::ExponentialBackoff;

pub async fn fetch() -> Result<Body, backoff::Error<Error>> {
    backoff::future::retry(ExponentialBackoff::default(), || async {
        get().await.map_err(backoff::Error::transient)
    })
    .await
}
