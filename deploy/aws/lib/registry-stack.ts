// The image registry, in a stack of its own: a release pushes the image here before the main
// stack (InsightStream) is deployed with that image's digest, so the repository must exist first
// and must outlive any one deployment of the service.
import { CfnOutput, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';
import { ECR_REPOSITORY_NAME } from './config';

export class RegistryStack extends Stack {
  readonly repository: ecr.Repository;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.repository = new ecr.Repository(this, 'Repository', {
      repositoryName: ECR_REPOSITORY_NAME,
      // A tag always names the same image: releases deploy by digest and roll back to an
      // earlier digest, which must still be the image that was tested.
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      imageScanOnPush: true,
      encryption: ecr.RepositoryEncryption.AES_256,
      lifecycleRules: [
        // Every image counts, tagged or not: a release may push by digest only, and an image
        // index's untagged children must live as long as the index.
        { description: 'keep the 100 newest images: enough to roll back far', maxImageCount: 100, rulePriority: 1 },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new CfnOutput(this, 'RepositoryUri', {
      value: this.repository.repositoryUri,
      description: 'docker push target: <RepositoryUri>:<tag>; deploy InsightStream with -c image=<RepositoryUri>@<digest>',
    });
    new CfnOutput(this, 'RepositoryName', { value: this.repository.repositoryName });
    new CfnOutput(this, 'RepositoryArn', { value: this.repository.repositoryArn });
  }
}
