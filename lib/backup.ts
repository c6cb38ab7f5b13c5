/**
 * AWS Backup of the tables: point-in-time recovery keeps only 35 days of records that are
 * kept forever. Daily and monthly backups into a locked vault (no backup can be deleted or
 * shortened before its retention ends), optionally copied to a vault in another account.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { BackupSettings } from './config.js';

/** Days a compliance-mode lock can still be removed after deployment; then it is permanent. */
export const COMPLIANCE_GRACE_DAYS = 3;

export interface TableBackupProps extends BackupSettings {
  tables: dynamodb.ITable[];
}

export class TableBackup extends Construct {
  readonly vault: backup.BackupVault;
  readonly plan: backup.BackupPlan;

  constructor(scope: Construct, id: string, props: TableBackupProps) {
    super(scope, id);
    const daily = Duration.days(props.dailyRetentionDays);
    const monthly = Duration.days(props.monthlyRetentionDays);
    // The lock refuses any backup kept less than its minimum, so the minimum is the dailies'.
    this.vault = new backup.BackupVault(this, 'Vault', {
      lockConfiguration: {
        minRetention: daily,
        changeableFor: props.lockMode === 'compliance' ? Duration.days(COMPLIANCE_GRACE_DAYS) : undefined,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupVault: this.vault,
      // 02:00 in the bureau's zone (UTC+8), outside office hours.
      backupPlanRules: [
        this.rule('Daily', events.Schedule.cron({ hour: '18', minute: '0' }), daily, props.copyToVaultArn),
        this.rule(
          'Monthly',
          events.Schedule.cron({ day: '1', hour: '18', minute: '30' }),
          monthly,
          props.copyToVaultArn,
        ),
      ],
    });
    const selection = this.plan.addSelection('Tables', {
      resources: props.tables.map((t) => backup.BackupResource.fromDynamoDbTable(t)),
      allowRestores: false,
    });
    Validations.of(selection).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason:
        "AWS Backup's own service-role policy for taking backups: AWS maintains it with the services Backup supports; the selection names the tables.",
    });
  }

  private rule(
    ruleName: string,
    scheduleExpression: events.Schedule,
    deleteAfter: Duration,
    copyToVaultArn: string | undefined,
  ): backup.BackupPlanRule {
    return new backup.BackupPlanRule({
      ruleName,
      scheduleExpression,
      deleteAfter,
      copyActions: copyToVaultArn
        ? [
            {
              destinationBackupVault: backup.BackupVault.fromBackupVaultArn(
                this,
                `${ruleName}CopyVault`,
                copyToVaultArn,
              ),
              deleteAfter,
            },
          ]
        : undefined,
    });
  }
}
