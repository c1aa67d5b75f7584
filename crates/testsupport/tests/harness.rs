//! The fixtures themselves: logins are really checked, and "down" really means down.

use std::net::SocketAddr;

use cofre_testsupport::{random_alphanumeric, MariaDb, PgCluster, TcpProxy};

#[tokio::test]
async fn pg_cluster_checks_passwords_and_can_go_down_and_come_back() {
    let mut cluster = PgCluster::start();
    let port = cluster.port();
    assert!(
        cluster
            .can_login(PgCluster::SUPERUSER, cluster.superuser_password())
            .await
    );
    assert!(!cluster.can_login(PgCluster::SUPERUSER, "wrong").await);

    let password = random_alphanumeric(20);
    cluster.create_user("someone", &password).await;
    assert!(cluster.can_login("someone", &password).await);
    assert!(!cluster.can_login("someone", "wrong").await);
    assert!(!cluster.can_login("nobody", &password).await);

    cluster.create_database("db1", Some("someone")).await;
    assert_eq!(
        cluster
            .query_as("someone", &password, "db1", "CREATE TABLE t (x int)")
            .await,
        Ok(())
    );

    cluster.stop();
    assert!(!cluster.is_running());
    assert!(!cluster.can_login("someone", &password).await);
    cluster.start_again();
    assert_eq!(cluster.port(), port);
    assert!(cluster.can_login("someone", &password).await);
}

#[tokio::test]
async fn mariadb_users_check_passwords_and_are_dropped() {
    let name = MariaDb::unique_user_name();
    let password = random_alphanumeric(20);
    {
        let db = MariaDb::connect().await;
        db.create_user(&name, &password).await;
        assert!(db.can_login(&name, &password).await);
        assert!(db.can_use_database(&name, &password).await);
        assert!(!db.can_login(&name, "wrong").await);
        assert!(db
            .grants(&name)
            .await
            .iter()
            .any(|g| g.contains("`cofre_test`")));
    }
    let db = MariaDb::connect().await;
    assert!(
        !db.can_login(&name, &password).await,
        "dropped with its MariaDb"
    );
}

#[tokio::test]
async fn tcp_proxy_forwards_and_stops() {
    let db = MariaDb::connect().await;
    let name = MariaDb::unique_user_name();
    let password = random_alphanumeric(20);
    db.create_user(&name, &password).await;
    let mut proxy = TcpProxy::start(SocketAddr::from(([127, 0, 0, 1], MariaDb::PORT)));
    let port = proxy.port();
    let through = |port: u16| {
        let (name, password) = (name.clone(), password.clone());
        async move {
            use sqlx::Connection as _;
            let options = sqlx::mysql::MySqlConnectOptions::new()
                .host("127.0.0.1")
                .port(port)
                .username(&name)
                .password(&password)
                .ssl_mode(sqlx::mysql::MySqlSslMode::Disabled);
            sqlx::MySqlConnection::connect_with(&options).await.is_ok()
        }
    };
    assert!(through(port).await);
    proxy.stop();
    assert!(!through(port).await);
    proxy.start_again();
    assert_eq!(proxy.port(), port);
    assert!(through(port).await);
}
